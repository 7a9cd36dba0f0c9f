"""A real server with the dashboard, on the demo's registry, and a real browser to drive it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browsertools import launch
from modelyard.demo import Demo, prepare
from serving.servertools import RunningServer, new_token, start_server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless chromium per test module (each visit has its own context). Not one per
    session: Playwright's sync API keeps an event loop running in this thread while its
    browser lives, and a later test's ``asyncio.run`` would find it."""
    with launch() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def ui_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo's two models, registered and aliased @production, in a registry of their own."""
    return prepare(tmp_path_factory.mktemp("ui-demo"))


@pytest.fixture(scope="session")
def ui_admin_token(ui_demo: Demo) -> str:
    """An admin token of the dashboard's registry (made before its server starts)."""
    token = new_token(ui_demo, "ui-tests-admin", "admin")
    return token


@pytest.fixture(scope="session")
def ui_server(
    ui_demo: Demo, ui_admin_token: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A server of the demo's endpoints: its dashboard is at ``ui_server.url + "/ui"``."""
    running = start_server(
        ui_demo, Path(ui_demo.endpoints_file), tmp_path_factory.mktemp("ui-server")
    )
    yield running
    running.stop()
