"""``modelyard ui``: the dashboard started by its command against a registry alone (no
endpoints served), with the models pages and the rollback admin route working there too."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from registrytools import open_registry, start_dashboard, with_alias_history

from browsertools import visit
from modelyard.demo import CANCER, DIGITS, Demo
from serving.servertools import RunningServer

WAIT_MS = 10_000


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return with_alias_history(tmp_path_factory.mktemp("ui-command"))


@pytest.fixture(scope="module")
def admin_token(history: Demo) -> str:
    registry = open_registry(history)
    token, _ = registry.tokens.create("dashboard-admin", "admin")
    registry.close()
    return token


@pytest.fixture(scope="module")
def dashboard(
    history: Demo, admin_token: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = start_dashboard(history, tmp_path_factory.mktemp("ui-command-run"))
    yield running
    running.stop()


def test_modelyard_ui_serves_the_models_page_from_the_registry_alone(
    browser: Any, dashboard: RunningServer
) -> None:
    with visit(browser, dashboard.url) as seen:
        seen.page.goto("/ui")
        assert seen.page.url.endswith("/ui/models")
        expect(seen.page.locator(f'tr[data-model="{CANCER}"] td').nth(1)).to_have_text(
            "3", timeout=WAIT_MS
        )
        seen.page.locator(f'a[href="/ui/models/{CANCER}"]').click()
        expect(seen.page.locator("#chart circle.point")).to_have_count(3, timeout=WAIT_MS)
        assert seen.problems() == []


def test_modelyard_ui_rolls_an_alias_back_with_an_admin_token(
    browser: Any, dashboard: RunningServer, history: Demo, admin_token: str
) -> None:
    with visit(browser, dashboard.url) as seen:
        seen.page.goto("/ui/aliases")
        seen.page.locator("#login-token").fill(admin_token)
        seen.page.locator("#login-button").click()
        section = seen.page.locator(f'section[data-model="{DIGITS}"]')
        section.locator('tr[data-alias="production"]').get_by_role(
            "button", name="Roll back"
        ).click()
        newest = section.locator("table.history tbody tr").first
        expect(newest.locator(".move")).to_have_text("v2 → v1", timeout=WAIT_MS)
        expect(newest.locator(".actor")).to_have_text("dashboard-admin")
        expect(newest.locator(".reason")).to_have_text("rollback")
        assert seen.problems() == []
    registry = open_registry(history)
    assert registry.aliases(DIGITS)["production"] == 1
    registry.close()


def test_modelyard_ui_refuses_a_rollback_without_a_token(
    dashboard: RunningServer, history: Demo
) -> None:
    answer = httpx.post(f"{dashboard.url}/admin/models/{CANCER}/aliases/production/rollback")
    assert answer.status_code == 401
    assert answer.json()["error"].startswith("this route needs a bearer token of role admin")
    registry = open_registry(history)
    assert registry.aliases(CANCER)["production"] == 3
    registry.close()


def test_modelyard_ui_answers_a_bad_body_as_the_server_does(
    dashboard: RunningServer, admin_token: str
) -> None:
    answer = httpx.post(
        f"{dashboard.url}/admin/models/{CANCER}/aliases/production/rollback",
        json={"reason": ""},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == (
        '/reason: String should have at least 1 character; expected {"reason": "why"} or no body'
    )


def test_modelyard_ui_prints_where_the_dashboard_is(dashboard: RunningServer) -> None:
    assert f"dashboard: {dashboard.url}/ui  (Ctrl-C to stop)" in dashboard.log_text()


def _modelyard_ui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("modelyard")), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def test_a_busy_port_is_one_error_line_and_no_address(
    history: Demo, dashboard: RunningServer, tmp_path: Path
) -> None:
    port = dashboard.url.rsplit(":", 1)[1]
    done = _modelyard_ui("--registry", history.registry_url, "ui", "--port", port, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: --port {port}: 127.0.0.1:{port} is already in use; stop what listens there "
        "or pass --port with a free port\n"
    )


def test_no_registry_is_one_error_line(tmp_path: Path) -> None:
    done = _modelyard_ui("ui", "--port", "8099", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: no registry found: looked for .modelyard/ in {tmp_path}")
    assert len(done.stderr.splitlines()) == 1
