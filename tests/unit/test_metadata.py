"""``GET /$metadata``: anonymous, XML, and a CSDL of exactly what the route table and the wire
model serve."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from shared.graph.query import SELECTABLE
from shared.metadata import metadata_bytes
from shared.routes import ROUTES
from tests.unit.app_harness import Harness, graph_error

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
EDMX = "{http://docs.oasis-open.org/odata/ns/edmx}"


@pytest.fixture(scope="module")
def schema() -> ET.Element:
    root = ET.fromstring(metadata_bytes())  # noqa: S314 (our own document, not input)
    assert root.tag == f"{EDMX}Edmx"
    assert root.get("Version") == "4.0"
    found = root.find(f"{EDMX}DataServices/{EDM}Schema")
    assert found is not None
    return found


def _entity_type(schema: ET.Element, name: str) -> ET.Element:
    found = schema.find(f"{EDM}EntityType[@Name='{name}']")
    assert found is not None, name
    return found


def test_the_schema_is_graphs_namespace(schema: ET.Element) -> None:
    assert (schema.get("Namespace"), schema.get("Alias")) == ("microsoft.graph", "graph")


def test_profile_photo_is_a_media_entity_with_the_served_properties(schema: ET.Element) -> None:
    photo = _entity_type(schema, "profilePhoto")
    properties = {p.get("Name"): p.get("Type") for p in photo.iter(f"{EDM}Property")}

    assert photo.get("HasStream") == "true"
    assert [ref.get("Name") for ref in photo.iter(f"{EDM}PropertyRef")] == ["id"]
    assert tuple(properties) == SELECTABLE
    assert properties == {"id": "Edm.String", "height": "Edm.Int32", "width": "Edm.Int32"}


def _served_navigation() -> dict[str, bool]:
    """From the route table: what follows ``users/{user}/``, and whether an id follows it."""
    served: dict[str, bool] = {}
    for route in ROUTES:
        for template in route.templates:
            if template.startswith("users/{user}/"):
                name, *rest = template.split("/")[2:]
                served[name] = served.get(name, False) or rest[:1] == ["{photo-id}"]
    return served


def test_the_users_navigation_properties_are_the_served_paths(schema: ET.Element) -> None:
    user = _entity_type(schema, "user")
    navigation = {n.get("Name"): n.get("Type") for n in user.iter(f"{EDM}NavigationProperty")}

    assert navigation == {
        name: "Collection(graph.profilePhoto)" if collection else "graph.profilePhoto"
        for name, collection in _served_navigation().items()
    }
    assert navigation == {
        "photo": "graph.profilePhoto",
        "photos": "Collection(graph.profilePhoto)",
    }


def test_the_container_has_users_and_me(schema: ET.Element) -> None:
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    assert [(child.tag.removeprefix(EDM), child.get("Name")) for child in container] == [
        ("EntitySet", "users"),
        ("Singleton", "me"),
    ]


@pytest.mark.parametrize("path", ["$metadata", "v1.0/$metadata", "beta/$METADATA"])
async def test_served_anonymously_as_xml(path: str) -> None:
    response = await Harness().send("GET", path)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert response.get_body() == metadata_bytes()
    assert response.headers["request-id"]


async def test_head_has_no_body() -> None:
    response = await Harness().send("HEAD", "$metadata")

    assert response.status_code == 200
    assert response.get_body() == b""


async def test_an_accept_without_xml_is_406() -> None:
    response = await Harness().send("GET", "$metadata", headers={"Accept": "application/json"})

    graph_error(response, 406, "NotAcceptable")


async def test_other_methods_are_405() -> None:
    response = await Harness().send("POST", "$metadata")

    assert graph_error(response, 405, "MethodNotAllowed")
    assert response.headers["Allow"] == "GET, HEAD"
