"""The dashboard while its registry database cannot be reached: a 503 saying so, on every
page, never a 500; and the pages again once the database answers.

``modelyard ui`` reaches a real PostgreSQL through a TCP link the test cuts (the database
goes away mid-run, as a network outage or a restarted server does)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from registrytools import start_dashboard_on
from sqlalchemy import make_url

from pgtools import fresh_schema, postgres_base_url
from replicas.replicatools import TcpLink
from serving.servertools import RunningServer

MESSAGE = "the registry database is unreachable; this page works again once it answers"


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, TcpLink]]:
    base = postgres_base_url("the dashboard's unreachable-registry tests")
    with fresh_schema(base, "ui_unreachable") as url:
        database = make_url(url)
        link = TcpLink((database.host or "127.0.0.1", database.port or 5432))
        through = database.set(host="127.0.0.1", port=link.port)
        workdir = tmp_path_factory.mktemp("ui-unreachable")
        running = start_dashboard_on(
            through.render_as_string(hide_password=False), str(workdir / "artifacts"), workdir
        )
        try:
            yield running, link
        finally:
            running.stop()
            link.cut()


@pytest.mark.parametrize("path", ["/ui/models", "/ui/aliases", "/ui/models/churn"])
def test_a_page_says_the_registry_is_unreachable_with_a_503(
    linked: tuple[RunningServer, TcpLink], path: str
) -> None:
    dashboard, link = linked
    assert httpx.get(f"{dashboard.url}{path}").status_code in (200, 404)
    link.cut()
    try:
        answer = httpx.get(f"{dashboard.url}{path}", timeout=30)
        assert answer.status_code == 503
        assert MESSAGE in answer.text
        assert "Traceback" not in answer.text
        fragment = httpx.get(f"{dashboard.url}{path}", headers={"HX-Request": "true"}, timeout=30)
        assert (fragment.status_code, fragment.json()) == (503, {"error": MESSAGE})
    finally:
        link.restore()
    assert httpx.get(f"{dashboard.url}{path}", timeout=30).status_code in (200, 404)
    assert "registry unreachable: " in dashboard.log_text()
