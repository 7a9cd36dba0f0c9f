"""``/docs`` and ``/redoc`` render their operations in a real browser with the network cut off:
every asset comes from modelyard itself, none from a CDN."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from servertools import RunningServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed: pip install -e '.[dev]'")
    _need(os.path.exists(CHROMIUM), "no chromium: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("page_path", ["/docs", "/redoc"])
def test_the_pages_name_no_other_host(v2_server: RunningServer, page_path: str) -> None:
    page = httpx.get(v2_server.url + page_path)
    assert "https://" not in page.text and "http://" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self';")


def _render(browser: object, server: RunningServer, path: str, ready: str) -> tuple[str, list]:
    """The page's text once ``ready`` shows, and every request that tried to leave the server."""
    own = urlsplit(server.url).netloc
    blocked: list[str] = []
    context = browser.new_context()  # type: ignore[attr-defined]

    def only_the_server(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).netloc == own:
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", only_the_server)
    page = context.new_page()
    page.goto(server.url + path)
    page.wait_for_selector(ready, timeout=30_000)
    text = page.inner_text("body")
    context.close()
    return text, blocked


def test_swagger_ui_renders_the_operations_offline(
    browser: object, v2_server: RunningServer
) -> None:
    text, blocked = _render(browser, v2_server, "/docs", ".opblock-summary-path")
    assert "/v2/models/flowers/infer" in text
    assert "/endpoints/gappy/predict" in text
    assert blocked == []


def test_redoc_renders_the_operations_offline(browser: object, v2_server: RunningServer) -> None:
    text, blocked = _render(browser, v2_server, "/redoc", "[data-section-id^='operation/']")
    assert "Open Inference Protocol inference on flowers" in text
    assert blocked == []
