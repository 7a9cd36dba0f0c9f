"""A real browser for the web-page tests: Debian's chromium driven by Playwright, with every
request that would leave the page's own server blocked and recorded, and every console error
kept."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = "MODELYARD_SCREENSHOTS"
"""A folder to save the dashboard's screenshots in (``MODELYARD_SCREENSHOTS=docs/screenshots
pytest tests/ui`` refreshes the README's pictures); unset, tests save none."""
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need(condition: bool, reason: str) -> None:
    """Skip when ``condition`` fails outside CI; in CI a missing browser is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """A headless chromium (``playwright.sync_api.Browser``) for the duration of the block."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed: pip install -e '.[dev]'")
    need(os.path.exists(CHROMIUM), "no chromium: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """A page of a fresh browser context, with what went wrong while it was open."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every console error, uncaught script error and request to another host."""
        return (
            [f"console: {text}" for text in self.console_errors]
            + [f"script: {text}" for text in self.page_errors]
            + [f"left the server: {url}" for url in self.blocked]
        )


@contextlib.contextmanager
def visit(browser: Any, base_url: str) -> Iterator[Visit]:
    """A new page in its own browser context (its own sessionStorage) whose requests may only
    go to ``base_url``'s host and port; the others are aborted and recorded."""
    own = urlsplit(base_url).netloc
    context = browser.new_context(base_url=base_url)
    seen = Visit(context.new_page())

    def only_the_server(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith("data:"):
            route.continue_()
        else:
            seen.blocked.append(url)
            route.abort()

    context.route("**/*", only_the_server)

    def keep_error(message: Any) -> None:
        if message.type == "error":
            seen.console_errors.append(message.text)

    seen.page.on("console", keep_error)
    seen.page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    try:
        yield seen
    finally:
        context.close()


def screenshot(page: Any, name: str) -> None:
    """A full-page PNG of ``page``, 1280 px wide and in 256 colours (small enough to keep in
    the repository), saved as ``name`` in the :data:`SCREENSHOTS` folder when one is set."""
    folder = os.environ.get(SCREENSHOTS)
    if not folder:
        return
    page.set_viewport_size({"width": 1280, "height": 800})
    image = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    os.makedirs(folder, exist_ok=True)
    image.quantize(256).save(os.path.join(folder, name), optimize=True)
