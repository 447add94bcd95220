"""HTTP conditional requests and content negotiation for a photo's bytes (RFC 9110).

Pure functions over header values: ``If-Match`` becomes the store's ``Precondition``,
``If-None-Match`` is judged against a current ETag (weak comparison, as RFC 9110 asks for it),
and ``Accept`` says whether a JPEG (``check_accepts_bytes``), JSON (``check_accepts_json``) or
XML (``check_accepts_xml``, the ``$metadata`` document) may be sent: ``406`` only when no media
range admits it (``q=0`` refuses; parameters such as ``odata.metadata=minimal`` are fine).
"""

from __future__ import annotations

import re
from typing import Final

from shared.graph.errors import BadRequest, NotAcceptable
from shared.storage.photo_store import Precondition

_ENTITY_TAG: Final = re.compile(r'\s*(?:(W/)?("[\x21\x23-\x7e\x80-\xff]*"))\s*(?:,|$)')
_MAX_TAGS: Final = 20
_BYTES_TYPES: Final = ("image/jpeg", "image/*", "*/*", "application/octet-stream")
_JSON_TYPES: Final = ("application/json", "application/*", "*/*")
_XML_TYPES: Final = ("application/xml", "application/*", "*/*")


def _entity_tags(header: str, name: str) -> tuple[bool, list[tuple[bool, str]]]:
    """``(any, [(weak, tag), ...])`` of an ``If-Match`` / ``If-None-Match`` value."""
    value = header.strip()
    if value == "*":
        return True, []
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(value) and len(tags) <= _MAX_TAGS:
        found = _ENTITY_TAG.match(value, position)
        if found is None or found.end() == position:
            raise BadRequest(f'The {name} header must be "*" or a list of quoted entity tags.')
        tags.append((found[1] is not None, found[2]))
        position = found.end()
    if not tags or len(tags) > _MAX_TAGS:
        raise BadRequest(f"The {name} header must name 1 to {_MAX_TAGS} entity tags.")
    return False, tags


def if_match(header: str | None) -> Precondition | None:
    """The condition an ``If-Match`` header sets on a write (strong comparison: weak tags
    never match); None without the header."""
    if header is None:
        return None
    any_tag, tags = _entity_tags(header, "If-Match")
    return Precondition(etags=frozenset(tag for weak, tag in tags if not weak), any_etag=any_tag)


def none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names the current ``etag`` (then the answer is ``304``)."""
    if header is None:
        return False
    any_tag, tags = _entity_tags(header, "If-None-Match")
    return any_tag or any(tag == etag for _weak, tag in tags)


def _accepts(accept: str | None, served: tuple[str, ...]) -> bool:
    """Whether ``Accept`` (absent or empty: anything) admits one of the ``served`` ranges."""
    if accept is None or not accept.strip():
        return True
    for part in accept.split(","):
        media_type, _, parameters = part.partition(";")
        if media_type.strip().lower() in served and not _refused(parameters):
            return True
    return False


def check_accepts_bytes(accept: str | None) -> None:
    """``NotAcceptable`` unless ``Accept`` admits a JPEG or ``application/octet-stream``."""
    if not _accepts(accept, _BYTES_TYPES):
        raise NotAcceptable(
            "The photo is served as image/jpeg; the Accept header admits neither it nor "
            "application/octet-stream."
        )


def check_accepts_json(accept: str | None) -> None:
    """``NotAcceptable`` unless ``Accept`` admits ``application/json``."""
    if not _accepts(accept, _JSON_TYPES):
        raise NotAcceptable(
            "This resource is served as application/json; the Accept header does not admit it."
        )


def check_accepts_xml(accept: str | None) -> None:
    """``NotAcceptable`` unless ``Accept`` admits ``application/xml`` (the CSDL document)."""
    if not _accepts(accept, _XML_TYPES):
        raise NotAcceptable(
            "The metadata document is served as application/xml; the Accept header does not "
            "admit it."
        )


def _refused(parameters: str) -> bool:
    """A media range with ``q=0`` refuses what it names."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip()) == 0
            except ValueError:
                return False
    return False
