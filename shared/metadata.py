"""``GET /api/$metadata``: the CSDL document (OData CSDL XML 4.0) of what this service serves.

Anonymous, as Graph's is. Generated from the code, never written by hand: ``profilePhoto``'s
properties from the wire model (``shared.models.ProfilePhotoIn``: its key ``id``, ``height`` and
``width``, no ``@odata`` annotations) with ``HasStream`` (every photo has a ``$value``); the
``user``'s navigation properties from the route table (``users/{user}/photo`` is a single photo,
``users/{user}/photos/{photo-id}`` makes ``photos`` a collection); the entity container's
``users`` entity set and ``me`` singleton from the route table's ``users/{user}`` and ``me``.
The ``@odata.context`` URLs the service hands back point into this document.
"""

from __future__ import annotations

import functools
import types
import xml.etree.ElementTree as ET
from typing import Annotated, Final, Union, get_args, get_origin

import azure.functions as func

from shared.graph.conditional import check_accepts_xml
from shared.graph.responses import RequestIds
from shared.models import ProfilePhotoIn
from shared.routes import ROUTES, Target

NAMESPACE: Final = "microsoft.graph"
ALIAS: Final = "graph"
CONTENT_TYPE: Final = "application/xml; charset=utf-8"
_EDMX: Final = "http://docs.oasis-open.org/odata/ns/edmx"
_EDM: Final = "http://docs.oasis-open.org/odata/ns/edm"
_EDM_TYPES: Final = {int: "Edm.Int32", str: "Edm.String"}
_KEY: Final = "id"
_USER: Final = "users/{user}"


def _edm_type(annotation: object) -> str:
    """The Edm type of a model field (``Annotated[str, …] | None`` is ``Edm.String``)."""
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = (arg for arg in get_args(annotation) if arg is not type(None))
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return _EDM_TYPES[annotation]  # type: ignore[index]


def photo_properties() -> dict[str, str]:
    """``profilePhoto``'s structural properties and their Edm types, from the wire model."""
    return {
        name: _edm_type(field.annotation)
        for name, field in ProfilePhotoIn.model_fields.items()
        if not (field.alias or name).startswith("@")
    }


def navigation_properties() -> dict[str, bool]:
    """The ``user``'s navigation properties the route table serves: name -> is a collection."""
    found: dict[str, bool] = {}
    for route in ROUTES:
        for template in route.templates:
            segments = template.removeprefix(f"{_USER}/").split("/")
            if not template.startswith(f"{_USER}/"):
                continue
            collection = len(segments) > 1 and segments[1].startswith("{")
            found[segments[0]] = found.get(segments[0], False) or collection
    return found


def _container_members() -> tuple[bool, bool]:
    """Whether the route table serves ``users/{user}/…`` and ``me/…``."""
    templates = [template for route in ROUTES for template in route.templates]
    return (
        any(t.startswith(f"{_USER}/") for t in templates),
        any(t.startswith("me/") for t in templates),
    )


def _element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{_EDM}}}{tag}", attributes)


def _photo_type(schema: ET.Element) -> None:
    photo = _element(schema, "EntityType", Name="profilePhoto", HasStream="true")
    _element(_element(photo, "Key"), "PropertyRef", Name=_KEY)
    for name, edm_type in photo_properties().items():
        _element(photo, "Property", Name=name, Type=edm_type, Nullable="false")


def _user_type(schema: ET.Element) -> None:
    user = _element(schema, "EntityType", Name="user")
    _element(_element(user, "Key"), "PropertyRef", Name=_KEY)
    _element(user, "Property", Name=_KEY, Type="Edm.String", Nullable="false")
    for name, collection in navigation_properties().items():
        target = f"{ALIAS}.profilePhoto"
        _element(
            user,
            "NavigationProperty",
            Name=name,
            Type=f"Collection({target})" if collection else target,
            ContainsTarget="true",
        )


@functools.cache
def metadata_bytes() -> bytes:
    """The document, built once per process."""
    ET.register_namespace("edmx", _EDMX)
    ET.register_namespace("", _EDM)
    root = ET.Element(f"{{{_EDMX}}}Edmx", {"Version": "4.0"})
    services = ET.SubElement(root, f"{{{_EDMX}}}DataServices")
    schema = ET.SubElement(services, f"{{{_EDM}}}Schema", {"Namespace": NAMESPACE, "Alias": ALIAS})
    _photo_type(schema)
    _user_type(schema)
    container = _element(schema, "EntityContainer", Name="GraphService")
    users, me = _container_members()
    if users:
        _element(container, "EntitySet", Name="users", EntityType=f"{ALIAS}.user")
    if me:
        _element(container, "Singleton", Name="me", Type=f"{ALIAS}.user")
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


async def metadata_document(
    req: func.HttpRequest, target: Target, ids: RequestIds
) -> func.HttpResponse:
    """The CSDL document, with the request ids every response carries."""
    check_accepts_xml(req.headers.get("Accept"))
    return func.HttpResponse(
        body=metadata_bytes(),
        status_code=200,
        headers={**ids.headers(), "Content-Type": CONTENT_TYPE},
        mimetype="application/xml",
        charset="utf-8",
    )
