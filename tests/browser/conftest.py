"""Browser fixtures: the photo console in Debian's headless Chromium, against the real service.

The console is served on one loopback origin (``devtools.console``), the service (dev host +
Azurite, as in the e2e tests) on another, started with ``--cors`` for the console's origin, so
every call the page makes is a real cross-origin request with a real preflight.

Chromium and its driver are Debian's packages at fixed paths (``scripts/setup`` installs them
when it runs as root). The driver's path is given to Selenium, so Selenium Manager never runs
and nothing is downloaded. Without them the tests skip, except in CI (``CI`` set), where they
fail. A failing test's screenshot is saved to its ``tmp_path`` and named in the report.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.chrome.webdriver import WebDriver

from devtools.console import ConsoleServer, serve_console
from tests.browser.console_page import ConsolePage
from tests.conftest import AzuriteEndpoint
from tests.e2e.conftest import Service, jwks_url, running_service

# Selenium logs every WebDriver command at DEBUG, the keys typed into the page included (the
# bearer token the tests paste): the suite's leak check would rightly flag them. Its own
# warnings and errors still come through.
logging.getLogger("selenium").setLevel(logging.INFO)

__all__ = ["jwks_url"]  # the e2e fixture, used here too

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,1400",
)
_PAGE_KEY = pytest.StashKey[ConsolePage]()


def _require_chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if not missing:
        return
    reason = (
        f"{' and '.join(missing)} not installed: `scripts/setup` run as root installs Debian's "
        "chromium and chromium-driver packages"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the session, with a fresh profile."""
    _require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = ChromeService(executable_path=str(CHROMEDRIVER))  # no Selenium Manager
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def console_server() -> Iterator[ConsoleServer]:
    """The console on a free loopback port: the origin the service allows."""
    with serve_console() as server:
        yield server


@pytest.fixture(scope="session")
def other_console_server() -> Iterator[ConsoleServer]:
    """The console on another free port: an origin the service does not allow."""
    with serve_console() as server:
        yield server


@pytest.fixture(scope="session")
def cors_service(
    azurite: AzuriteEndpoint, jwks_url: str, console_server: ConsoleServer
) -> Iterator[Service]:
    """The service on a dev host whose CORS allows the console's origin, and only it."""
    options = ("--cors", console_server.origin)
    with running_service(
        azurite.connection_string, jwks_url, table_prefix="browser", options=options
    ) as service:
        yield service


def _page(
    driver: WebDriver, server: ConsoleServer, tmp_path: Path, request: pytest.FixtureRequest
) -> ConsolePage:
    page = ConsolePage(driver, f"{server.origin}/", tmp_path / "console.png").open()
    page.browser_log()  # start the test's log afresh
    request.node.stash[_PAGE_KEY] = page
    return page


@pytest.fixture
def console(
    chromium: WebDriver,
    console_server: ConsoleServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> ConsolePage:
    """The console, freshly loaded from the allowed origin."""
    return _page(chromium, console_server, tmp_path, request)


@pytest.fixture
def foreign_console(
    chromium: WebDriver,
    other_console_server: ConsoleServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> ConsolePage:
    """The console, freshly loaded from an origin the service does not allow."""
    return _page(chromium, other_console_server, tmp_path, request)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    page = item.stash.get(_PAGE_KEY, None)
    if page is not None and report.when == "call" and report.failed:
        page.driver.save_screenshot(str(page.screenshot))
        report.sections.append(("photo console", f"screenshot: {page.screenshot}"))
    return report
