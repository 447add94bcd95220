"""PhotoApp.serve: the one error path. Settings lazily, failures in Graph's format, no traceback."""

from __future__ import annotations

import json
import logging

import azure.functions as func
import pytest

from shared.app import PhotoApp
from shared.config import ConfigError, Settings
from shared.operations import PhotoHandlers


def _request(body: bytes = b"{}") -> func.HttpRequest:
    return func.HttpRequest(
        method="POST",
        url="http://localhost:7071/api/me/photos",
        headers={"client-request-id": "abc-1", "Authorization": "Bearer x.y.z"},
        body=body,
        route_params={"target": "me/photos"},
    )


def _missing_audiences() -> Settings:
    raise ConfigError("AUTH_AUDIENCES is required")


def _never_built(_settings: Settings) -> PhotoHandlers:
    raise AssertionError("the handlers must not be built without settings")


def _settings() -> Settings:
    return object.__new__(Settings)


async def test_misconfiguration_is_a_generic_500_and_a_log_naming_the_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = PhotoApp(load=_missing_audiences, factory=_never_built)
    with caplog.at_level(logging.ERROR):
        response = await app.serve("add_photo", _request())

    assert response.status_code == 500
    error = json.loads(response.get_body())["error"]
    assert error["code"] == "InternalServerError"
    assert "AUTH_AUDIENCES" not in error["message"]
    assert error["innerError"]["client-request-id"] == "abc-1"
    assert "AUTH_AUDIENCES" in caplog.text


async def test_an_sdk_refusing_a_setting_is_a_configuration_error_not_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuses(_settings: Settings) -> PhotoHandlers:
        raise ValueError("Connection string missing required connection details.")

    app = PhotoApp(load=_settings, factory=refuses)
    with caplog.at_level(logging.ERROR):
        response = await app.serve("add_photo", _request())

    assert response.status_code == 500
    assert "misconfigured" in caplog.text
    assert "Connection string missing" in caplog.text
    assert not any(record.exc_info for record in caplog.records)


class _Explodes(PhotoHandlers):
    def __init__(self) -> None:
        pass

    async def add_photo(self, *_args: object) -> func.HttpResponse:
        raise KeyError("secret internals")


async def test_unexpected_error_is_logged_with_traceback_and_answered_generically(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = PhotoApp(load=_settings, factory=lambda _s: _Explodes())
    with caplog.at_level(logging.ERROR):
        response = await app.serve("add_photo", _request())

    assert response.status_code == 500
    text = response.get_body().decode()
    assert "secret internals" not in text
    assert "Traceback" not in text
    body = json.loads(text)
    assert body["error"]["innerError"]["request-id"] == response.headers["request-id"]
    assert any(record.exc_info for record in caplog.records)


async def test_settings_are_loaded_once() -> None:
    loads: list[int] = []

    def load() -> Settings:
        loads.append(1)
        return _settings()

    app = PhotoApp(load=load, factory=lambda _s: _Explodes())
    await app.serve("add_photo", _request())
    await app.serve("add_photo", _request())
    assert loads == [1]


async def test_anonymous_operations_need_no_settings() -> None:
    app = PhotoApp(load=_missing_audiences, factory=_never_built)
    request = func.HttpRequest(
        "GET",
        "http://localhost/api/openapi.json",
        body=b"",
        route_params={"target": "openapi.json"},
    )

    assert (await app.serve("openapi_document", request)).status_code == 200


async def test_aclose_closes_what_was_built_and_nothing_else() -> None:
    closed: list[str] = []

    class _Closing(_Explodes):
        async def aclose(self) -> None:
            closed.append("handlers")

    app = PhotoApp(load=_settings, factory=lambda _s: _Closing())
    await app.aclose()
    assert closed == []
    await app.serve("add_photo", _request())
    await app.aclose()
    assert closed == ["handlers"]
