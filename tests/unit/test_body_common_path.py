"""``parse_photo``'s quick read of the usual body gives exactly what the JSON decode gives.

Bodies close to the usual one (``@odata.type`` or not, ``height`` then ``width``) are drawn
with every variation that matters to a JSON reader: whitespace (JSON's four and others), number
forms (zero, leading zeros, signs, fractions, exponents, more than ten digits, over
``INT32_MAX``), the other order, a repeated or extra property, a BOM, a cut. Whenever the quick
read answers, its properties must be the decoded ones, type for type; ``parse_photo`` itself
must answer as the decode-then-validate path does, model or error.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.graph import body as body_module
from shared.graph.body import parse_photo
from shared.graph.errors import GraphError
from shared.models import INT32_MAX, PROFILE_PHOTO_TYPE, ProfilePhotoIn

_WHITESPACE = st.text(alphabet=" \t\r\n", max_size=3)
_NOT_JSON_WHITESPACE = st.sampled_from(["\x0b", "\x0c", "\u00a0", "\u2028"])
_NUMBERS = st.one_of(
    st.integers(min_value=1, max_value=999).map(str),
    st.integers(min_value=INT32_MAX - 2, max_value=INT32_MAX + 2).map(str),
    st.integers(min_value=-5, max_value=0).map(str),
    st.sampled_from(["06", "1.0", "1e3", "-0", "+5", "12345678901", "9999999999", "1E1", "7 "]),
)
_TYPES = st.sampled_from(
    [PROFILE_PHOTO_TYPE, "#microsoft.graph.profilephoto", "microsoft.graph.profilePhoto"]
)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    gaps = iter(range(99))
    foreign_gap = draw(st.integers(0, 40))  # about one body in five has one foreign space

    def ws() -> str:
        space = draw(_WHITESPACE)
        return space + draw(_NOT_JSON_WHITESPACE) if next(gaps) == foreign_gap else space

    members = []
    if draw(st.booleans()):
        members.append(f'"@odata.type"{ws()}:{ws()}"{draw(_TYPES)}"')
    sizes = [f'"height"{ws()}:{ws()}{draw(_NUMBERS)}', f'"width"{ws()}:{ws()}{draw(_NUMBERS)}']
    if draw(st.integers(0, 9)) == 0:
        sizes.reverse()
    members += sizes
    if draw(st.integers(0, 9)) == 0:
        members.append(draw(st.sampled_from(['"width":5', '"id":"p"', '"@odata.etag":"x"'])))
    text = ws() + "{" + ws() + f"{ws()},{ws()}".join(members) + ws() + "}" + ws()
    data = text.encode()
    if draw(st.integers(0, 19)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 19)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


def _general(body: bytes) -> ProfilePhotoIn | tuple[int, str, str]:
    try:
        return ProfilePhotoIn.model_validate(body_module._decoded_properties(body))
    except GraphError as error:
        return error.status, error.code, error.message
    except ValidationError as error:
        return 400, "BadRequest", body_module._describe(error)


def _parsed(body: bytes) -> ProfilePhotoIn | tuple[int, str, str]:
    try:
        return parse_photo("application/json", body)
    except GraphError as error:
        return error.status, error.code, error.message


@settings(derandomize=True, database=None, max_examples=800, deadline=None)
@given(_bodies())
def test_the_quick_read_is_the_decoded_properties_whenever_it_answers(body: bytes) -> None:
    quick = body_module._common_properties(body)
    if quick is None:
        return
    decoded = body_module._decoded_properties(body)
    assert quick == decoded
    assert [type(value) for value in quick.values()] == [type(v) for v in decoded.values()]
    assert list(quick) == list(decoded)


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(_bodies())
def test_parse_photo_answers_as_decoding_then_validating_does(body: bytes) -> None:
    general = _general(body)
    parsed = _parsed(body)
    if isinstance(general, ProfilePhotoIn):
        assert parsed == general
        assert isinstance(parsed, ProfilePhotoIn)
        assert parsed.model_fields_set == general.model_fields_set
    else:
        assert parsed == general


@pytest.mark.parametrize(
    "body",
    [
        {"@odata.type": PROFILE_PHOTO_TYPE, "height": 6, "width": 5},
        {"height": 6, "width": 5},
        {"height": INT32_MAX, "width": 1},
    ],
)
def test_the_usual_bodies_take_the_quick_read(body: dict[str, object]) -> None:
    for data in (json.dumps(body), json.dumps(body, indent=2), json.dumps(body).replace(" ", "")):
        assert body_module._common_properties(data.encode()) == body


def test_a_size_over_int32_is_still_refused_with_its_value_quoted() -> None:
    with pytest.raises(GraphError) as raised:
        parse_photo("application/json", b'{"height": 2147483648, "width": 5}')

    assert raised.value.status == 400
    assert "2147483648" in raised.value.message
