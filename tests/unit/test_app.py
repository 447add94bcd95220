"""PhotoApp: settings loaded lazily, every failure rendered in Graph's format, never a traceback."""

from __future__ import annotations

import json
import logging

import azure.functions as func
import pytest

from shared.app import PhotoApp, PhotoService
from shared.config import ConfigError, Settings
from shared.graph.errors import Conflict
from shared.graph.responses import RequestIds


def _request() -> func.HttpRequest:
    return func.HttpRequest(
        method="POST",
        url="http://localhost:7071/api/me/photos",
        headers={"client-request-id": "abc-1"},
        body=b"{}",
        route_params={"target": "me/photos"},
    )


def _missing_audiences() -> Settings:
    raise ConfigError("AUTH_AUDIENCES is required")


def _never_built(_settings: Settings) -> PhotoService:
    raise AssertionError("the service must not be built without settings")


async def test_misconfiguration_is_a_generic_500_and_a_log_naming_the_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = PhotoApp(load=_missing_audiences, factory=_never_built)
    with caplog.at_level(logging.ERROR):
        response = await app.add_photo(_request())

    assert response.status_code == 500
    error = json.loads(response.get_body())["error"]
    assert error["code"] == "InternalServerError"
    assert "AUTH_AUDIENCES" not in error["message"]
    assert error["innerError"]["client-request-id"] == "abc-1"
    assert "AUTH_AUDIENCES" in caplog.text


async def _explodes(
    _service: PhotoService, _req: func.HttpRequest, _ids: RequestIds
) -> func.HttpResponse:
    raise KeyError("secret internals")


async def _conflicts(
    _service: PhotoService, _req: func.HttpRequest, _ids: RequestIds
) -> func.HttpResponse:
    raise Conflict("A photo with id 'x' already exists.")


def _app() -> PhotoApp:
    sentinel = object.__new__(PhotoService)
    return PhotoApp(load=lambda: object.__new__(Settings), factory=lambda _s: sentinel)


async def test_unexpected_error_is_logged_with_traceback_and_answered_generically(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await _app().handle(_explodes, _request())

    assert response.status_code == 500
    text = response.get_body().decode()
    assert "secret internals" not in text
    assert "Traceback" not in text
    body = json.loads(text)
    assert body["error"]["innerError"]["request-id"] == response.headers["request-id"]
    assert any(record.exc_info for record in caplog.records)


async def test_graph_errors_are_rendered_with_their_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = await _app().handle(_conflicts, _request())
    assert response.status_code == 409
    assert json.loads(response.get_body())["error"]["code"] == "Conflict"
    assert response.headers["client-request-id"] == "abc-1"


async def test_settings_are_loaded_once() -> None:
    loads: list[int] = []

    def load() -> Settings:
        loads.append(1)
        return object.__new__(Settings)

    app = PhotoApp(load=load, factory=lambda _s: object.__new__(PhotoService))
    await app.handle(_conflicts, _request())
    await app.handle(_conflicts, _request())
    assert loads == [1]
