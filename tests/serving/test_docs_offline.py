"""``/docs`` and ``/redoc`` render their operations in a real browser with the network cut off:
every asset comes from modelyard itself, none from a CDN."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from servertools import RunningServer

from browsertools import launch, visit


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch() as chromium:
        yield chromium


@pytest.mark.parametrize("page_path", ["/docs", "/redoc"])
def test_the_pages_name_no_other_host(v2_server: RunningServer, page_path: str) -> None:
    page = httpx.get(v2_server.url + page_path)
    assert "https://" not in page.text and "http://" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self';")


def _render(browser: object, server: RunningServer, path: str, ready: str) -> tuple[str, list]:
    """The page's text once ``ready`` shows, and every request that tried to leave the server."""
    with visit(browser, server.url) as seen:
        seen.page.goto(path)
        seen.page.wait_for_selector(ready, timeout=30_000)
        return seen.page.inner_text("body"), seen.blocked


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
