"""A new process serving a POST imports only what a photo request needs: whatever the other
operations need (``$batch``, the documents, media, the blob SDK, the Graph directory) is
imported when they first run. Each check runs in a new process, so nothing another test
imported counts."""

from __future__ import annotations

import pytest

from tests.python_process import run_python

NOT_FOR_A_POST = (
    "shared.batch",
    "shared.graph.batch",
    "shared.metadata",
    "shared.openapi",
    "shared.auth.graph_directory",
    "PIL",
    "azure.storage.blob",
    "azure.identity",
)
"""Modules (and their submodules) the first POST does not need."""


def _modules_after(*arguments: str) -> set[str]:
    return set(run_python("-m", "tests.unit.start_up_modules", *arguments).split())


def _heavy(modules: set[str]) -> list[str]:
    return sorted(
        name
        for name in modules
        if any(name == heavy or name.startswith(f"{heavy}.") for heavy in NOT_FOR_A_POST)
    )


@pytest.fixture(scope="module")
def loaded() -> set[str]:
    return _modules_after("add_photo")


def test_loading_the_add_photo_function_imports_nothing_a_post_does_not_need(
    loaded: set[str],
) -> None:
    assert "shared.app" in loaded  # the probe did load the function
    assert _heavy(loaded) == []


def test_building_the_handlers_imports_nothing_a_post_does_not_need() -> None:
    built = _modules_after("add_photo", "--handlers")
    assert "azure.data.tables.aio" in built
    assert _heavy(built) == []
