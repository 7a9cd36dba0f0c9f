"""A page whose server went away under it: the next click says the server did not answer,
next to what was clicked (htmx forms through ui.js, the try-it form through try.js)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from browsertools import visit
from modelyard.demo import CANCER, Demo
from serving.servertools import start_server

WAIT_MS = 10_000
MESSAGE = "the server did not answer"


def test_a_click_after_the_server_stopped_says_it_did_not_answer(
    browser: Any, ui_demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = start_server(
        ui_demo, Path(ui_demo.endpoints_file), tmp_path_factory.mktemp("stopped-server")
    )
    try:
        with visit(browser, server.url) as aliases, visit(browser, server.url) as trying:
            aliases.page.goto("/ui/aliases")
            rollback = aliases.page.locator(
                f'section[data-model="{CANCER}"] tr[data-alias="production"] form.rollback'
            )
            expect(rollback).to_be_visible(timeout=WAIT_MS)
            trying.page.goto("/ui/try/breast-cancer")
            expect(trying.page.locator("#try-form [data-field]").first).to_be_visible(
                timeout=WAIT_MS
            )
            server.stop()

            rollback.get_by_role("button", name="Roll back").click()
            expect(rollback.locator("[data-error-text]")).to_have_text(MESSAGE, timeout=WAIT_MS)
            trying.page.click("#try-form button[type=submit]")
            expect(trying.page.locator("#try-form [data-error-text]")).to_have_text(
                MESSAGE, timeout=WAIT_MS
            )
            # the refused connection, and htmx logging the failed request, are all that went wrong
            assert aliases.problems() == [
                "console: htmx:afterRequest, [object HTMLFormElement]",
                "console: htmx:sendError, [object HTMLFormElement]",
                "console: Failed to load resource: net::ERR_CONNECTION_REFUSED",
            ]
            assert trying.problems() == [
                "console: Failed to load resource: net::ERR_CONNECTION_REFUSED"
            ]
    finally:
        server.stop()
