"""The photo console as the tests drive it: one object per page, its form and what it shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class ShownError:
    status: str
    code: str
    message: str
    request_id: str


@dataclass
class ConsolePage:
    """The console open at ``url`` in ``driver``; ``screenshot`` is where a failure's goes."""

    driver: WebDriver
    url: str
    screenshot: Path

    def open(self) -> ConsolePage:
        self.driver.get(self.url)
        self._wait(lambda: self.driver.execute_script("return document.readyState") == "complete")
        return self

    def connect(self, base_url: str, token: str, user: str = "me") -> None:
        self._fill("base-url", base_url)
        self._paste("token", token)
        self._fill("user", user)

    def show(self) -> str:
        return self._act("show")

    def upload(self, image: Path) -> str:
        self.driver.find_element(By.ID, "file").send_keys(str(image))
        return self._act("upload")

    def delete(self) -> str:
        return self._act("delete")

    def rendered_sizes(self) -> dict[str, tuple[int, int]]:
        """Each shown size's id and its decoded image's natural width and height."""
        images: list[dict[str, Any]] = self.driver.execute_script(
            "return [...document.querySelectorAll('#sizes img')].map((image) => ({"
            "size: image.dataset.size, width: image.naturalWidth, height: image.naturalHeight}))"
        )
        return {image["size"]: (image["width"], image["height"]) for image in images}

    def shown_error(self) -> ShownError | None:
        if not self.driver.find_element(By.ID, "error").is_displayed():
            return None
        return ShownError(
            *(
                self.driver.find_element(By.ID, f"error-{name}").text
                for name in ("status", "code", "message", "request-id")
            )
        )

    def browser_log(self) -> list[dict[str, Any]]:
        """The console messages (errors, CSP violations) since the last call."""
        entries: list[dict[str, Any]] = self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        return entries

    def _fill(self, field: str, value: str) -> None:
        box = self.driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)

    def _paste(self, field: str, value: str) -> None:
        """Put ``value`` in at once, as a paste does (typing a token key by key takes seconds)."""
        box = self.driver.find_element(By.ID, field)
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            box,
            value,
        )

    def _act(self, button: str) -> str:
        """Press ``button``; the status text once the page is no longer busy."""
        status = self.driver.find_element(By.ID, "status")
        self.driver.execute_script("arguments[0].textContent = ''", status)  # a fresh answer
        self.driver.find_element(By.ID, button).click()
        self._wait(lambda: not self._busy() and status.text != "")
        text: str = status.text
        return text

    def _busy(self) -> bool:
        main = self.driver.find_element(By.ID, "console")
        return main.get_attribute("aria-busy") == "true"

    def _wait(self, condition: Callable[[], bool]) -> None:
        WebDriverWait(self.driver, WAIT_SECONDS).until(lambda _: condition())
