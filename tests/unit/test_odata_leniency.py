"""OData leniency: instance annotations in bodies ignored, system query options with or without
``$`` in any case, and ``406`` for an ``Accept`` that rules out JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.graph.body import parse_photo
from shared.graph.conditional import check_accepts_json, check_accepts_xml
from shared.graph.errors import BadRequest, NotAcceptable
from shared.graph.query import next_page_query, parse_item_options, parse_list_options
from tests import tokens
from tests.unit.app_harness import Harness, graph_error, json_body

JSON = "application/json"


def _photo(document: dict[str, Any]) -> tuple[str | None, int, int]:
    parsed = parse_photo(JSON, json.dumps(document).encode())
    return parsed.id, parsed.height, parsed.width


@pytest.mark.parametrize(
    "annotations",
    [
        {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('x')/photos/$entity"},
        {"@odata.etag": 'W/"1"', "@odata.id": "users('x')/photos('p')"},
        {"@odata.mediaEtag": '"abc"', "@odata.mediaContentType": "image/jpeg"},
        {"@contoso.reviewed": True, "@Org.Vocab.Term#Qualifier": {"any": ["thing"]}},
        {"height@odata.type": "#Int32", "id@contoso.note": "kept by the SDK"},
    ],
)
def test_instance_annotations_are_ignored(annotations: dict[str, Any]) -> None:
    assert _photo({"id": "p", "height": 6, "width": 5, **annotations}) == ("p", 6, 5)


def test_an_object_read_back_from_graph_can_be_posted_again() -> None:
    read = {
        "@odata.context": "http://localhost:7071/api/$metadata#users('u')/photos/$entity",
        "@odata.type": "#microsoft.graph.profilePhoto",
        "@odata.mediaEtag": '"W/abc"',
        "id": "p",
        "height": 6,
        "width": 5,
    }
    assert _photo(read) == ("p", 6, 5)


@pytest.mark.parametrize("name", ["color", "@foo", "@", "height@", "a b@ns.term x"])
def test_unknown_properties_are_still_refused(name: str) -> None:
    with pytest.raises(BadRequest, match="does not exist on type"):
        _photo({"height": 6, "width": 5, name: 1})


def test_odata_type_is_still_checked() -> None:
    with pytest.raises(BadRequest, match=r"@odata\.type"):
        _photo({"height": 6, "width": 5, "@odata.type": "#microsoft.graph.user"})


@pytest.mark.parametrize(
    "params",
    [{"top": "2"}, {"$TOP": "2"}, {"Top": "2"}, {"$top": "2"}],
)
def test_top_with_or_without_dollar_any_case(params: dict[str, str]) -> None:
    assert parse_list_options(params).top == 2


@pytest.mark.parametrize("params", [{"Select": "width,id"}, {"SELECT": "ID,Width"}])
def test_select_with_or_without_dollar(params: dict[str, str]) -> None:
    assert parse_item_options(params) == ("id", "width")
    assert parse_list_options(params).select == ("id", "width")


def test_an_option_with_and_without_dollar_is_given_twice() -> None:
    with pytest.raises(BadRequest, match="more than once"):
        parse_list_options({"top": "1", "$top": "2"})


@pytest.mark.parametrize("name", ["filter", "OrderBy", "$Filter", "expand"])
def test_unsupported_system_options_are_refused_without_dollar_too(name: str) -> None:
    with pytest.raises(BadRequest, match="not supported"):
        parse_list_options({name: "x"})


def test_other_parameters_are_not_ours_to_judge() -> None:
    assert parse_list_options({"api-version": "1", "topper": "x"}).top == 100


def test_next_page_replaces_a_skiptoken_sent_without_dollar() -> None:
    assert next_page_query({"top": "1", "SkipToken": "old"}, "new") == {
        "top": "1",
        "$skiptoken": "new",
    }


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "application/json",
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false",
        "*/*",
        "application/*",
        "text/html, application/json;q=0.1",
        "APPLICATION/JSON; charset=utf-8",
    ],
)
def test_json_is_acceptable(accept: str | None) -> None:
    check_accepts_json(accept)


@pytest.mark.parametrize(
    "accept", ["text/html", "image/jpeg", "application/json;q=0", "application/xml", "text/*"]
)
def test_json_is_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        check_accepts_json(accept)


def test_xml_acceptance() -> None:
    check_accepts_xml("application/xml")
    check_accepts_xml("*/*;q=0.5")
    with pytest.raises(NotAcceptable):
        check_accepts_xml("application/json")


async def test_a_json_resource_refuses_an_accept_without_json() -> None:
    harness = Harness()
    token = tokens.build_access_token()

    refused = await harness.send("GET", "me/photos", token=token, headers={"Accept": "text/html"})
    listed = await harness.send(
        "GET", "me/photos", token=token, headers={"Accept": "application/json;odata=verbose"}
    )

    graph_error(refused, 406, "NotAcceptable")
    assert listed.status_code == 200


async def test_a_posted_read_back_photo_and_lenient_query_end_to_end_in_process() -> None:
    harness = Harness()
    token = tokens.build_access_token()
    added = await harness.send("POST", "me/photos", token=token, body={"height": 6, "width": 5})
    read_back = json_body(added)

    again = await harness.send("POST", "me/photos", token=token, body={**read_back, "id": "p2"})
    listed = await harness.send("GET", "me/photos", token=token, query={"TOP": "1"})

    assert again.status_code == 201, again.get_body()
    assert len(json_body(listed)["value"]) == 1
    assert "$skiptoken=" in json_body(listed)["@odata.nextLink"]
