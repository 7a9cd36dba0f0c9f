"""``modelyard rollout``: a rollout's status and the actions a person takes on it, directly on
the registry database and through a server's routes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from modelyard.core.errors import ConflictError
from modelyard.registry import Registry
from modelyard.registry.registry import default_actor
from modelyard.registry.rollout_types import ArmCounters, ArmState, RolloutState
from modelyard.routing.actions import manual
from modelyard.routing.status import status_document
from nettools import free_port
from tinypackage import make_package

ARMS = (
    ArmState("primary", "fraud@production", 1, "variant", 95.0),
    ArmState("candidate", "fraud:2", 2, "variant", 5.0),
)


@pytest.fixture(autouse=True)
def no_server_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands use the registry database unless a test names a server."""
    monkeypatch.delenv("MODELYARD_SERVER", raising=False)
    monkeypatch.delenv("MODELYARD_TOKEN", raising=False)


@pytest.fixture
def canary(workdir: Path) -> Iterator[Registry]:
    """The working folder's registry: fraud:1 (production) and fraud:2 in a canary on ``bc``,
    with some traffic counted."""
    registry = Registry()
    for payload in (b"one", b"two"):
        registry.register(make_package(workdir / "packages", "fraud", payload))
    registry.set_alias("fraud", "production", 1, reason="first")
    registry.rollouts.start("bc", "canary", "a" * 64, "primary", ARMS)
    registry.rollouts.sync(
        "bc",
        {
            "primary": ArmCounters(requests=190, errors=1, latency=(0, 190)),
            "candidate": ArmCounters(requests=10, errors=2, latency=(0, 10)),
        },
    )
    yield registry
    registry.close()


def _state(registry: Registry) -> RolloutState:
    state = registry.rollouts.get("bc")
    assert state is not None
    return state


def _document(registry: Registry) -> dict[str, Any]:
    """The status document as the JSON output carries it."""
    document = status_document(_state(registry), registry.rollouts.history("bc"))
    loaded: dict[str, Any] = json.loads(orjson.dumps(document))
    return loaded


def test_status_shows_each_variant_and_the_history(cli: Callable, canary: Registry) -> None:
    result = cli("rollout", "status", "bc")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("rollout of 'bc': canary, running, step 0; started ")
    for name, ref, weight, requests, errors in (
        ("primary", "fraud@production", "95%", "190", "1 (0.53%)"),
        ("candidate", "fraud:2", "5%", "10", "2 (20.00%)"),
    ):
        row = next(line for line in lines if line.startswith(f"│ {name} "))
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells[1:6] == [ref, "1" if name == "primary" else "2", weight, requests, errors]
    assert lines[-2] == "history:"
    assert lines[-1].endswith(f"  {default_actor()}  start: - → running (step 0)  started")


def test_status_json_is_the_status_document(cli: Callable, canary: Registry) -> None:
    result = cli("rollout", "status", "bc", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == _document(canary)
    assert result.out.startswith('{\n  "endpoint": "bc",')


def test_status_of_an_endpoint_without_rollout_names_the_ones_with_one(
    cli: Callable, canary: Registry
) -> None:
    result = cli("rollout", "status", "iris")
    assert result.code == 2
    assert result.err == "error: no rollout for endpoint 'iris'; rollouts: bc\n"
    assert result.out == ""


def test_status_never_creates_a_registry(cli: Callable, workdir: Path) -> None:
    result = cli("rollout", "status", "bc")
    assert result.code == 2
    assert result.err.startswith("error: no registry found: looked for .modelyard/ in ")
    assert len(result.err.splitlines()) == 1
    assert not (workdir / ".modelyard").exists()


def test_pause_records_who_and_why_and_prints_the_line_it_added(
    cli: Callable, canary: Registry
) -> None:
    result = cli("rollout", "pause", "bc", "--reason", "p99 looks odd")
    assert result.code == 0, result.err
    first, added = result.out.splitlines()
    assert first == "rollout of 'bc': paused"
    assert added.endswith(f"  {default_actor()}  pause: running → paused (step 0)  p99 looks odd")
    assert _state(canary).state == "paused"
    event = canary.rollouts.history("bc")[-1]
    assert (event.action, event.actor, event.reason) == ("pause", default_actor(), "p99 looks odd")


def test_a_refused_action_is_the_library_s_one_line_and_changes_nothing(
    cli: Callable, canary: Registry
) -> None:
    before = _state(canary)
    with pytest.raises(ConflictError) as refused:
        manual(before, "resume", actor="x", reason="go on")
    result = cli("rollout", "resume", "bc", "--reason", "go on")
    assert result.code == 2
    assert result.err == f"error: {refused.value}\n"
    assert result.out == ""
    assert _state(canary) == before


def test_an_action_on_an_endpoint_without_rollout_names_the_ones_with_one(
    cli: Callable, canary: Registry
) -> None:
    result = cli("rollout", "abort", "iris", "--reason", "stop")
    assert result.code == 2
    assert result.err == "error: no rollout for endpoint 'iris'; rollouts: bc\n"


def test_an_action_needs_a_reason(cli: Callable, canary: Registry) -> None:
    missing = cli("rollout", "pause", "bc")
    assert missing.code == 2
    assert missing.err == ("error: Missing option '--reason'; see modelyard rollout pause --help\n")
    blank = cli("rollout", "pause", "bc", "--reason", "  ")
    assert blank.code == 2
    assert blank.err == "error: rollout pause needs a reason: expected a non-empty --reason\n"
    assert len(canary.rollouts.history("bc")) == 1  # nothing recorded since the start


def test_promote_with_a_variant_ends_the_rollout(cli: Callable, canary: Registry) -> None:
    result = cli("rollout", "promote", "bc", "--variant", "candidate", "--reason", "healthy")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "rollout of 'bc': promoted"
    event = canary.rollouts.history("bc")[-1]
    assert (event.action, event.to_state, event.reason) == ("promote", "promoted", "healthy")


# -- through a server -------------------------------------------------------------------------

AB_DOCUMENT: dict[str, Any] = {
    "endpoint": "bc",
    "strategy": "ab",
    "state": "running",
    "step": None,
    "started_at": "2026-12-01T10:00:00+00:00",
    "updated_at": "2026-12-01T11:00:00+00:00",
    "variants": [
        {
            "name": "a",
            "ref": "fraud:1",
            "version": 1,
            "weight": 50.0,
            "requests": 1000,
            "errors": 0,
            "error_rate": 0.0,
            "p50_ms": 1.25,
            "p99_ms": 4.5,
            "reward_mean": 0.81,
            "reward_ci": [0.78, 0.84],
            "rewards": 600,
            "labelled": 600,
        },
        {
            "name": "b",
            "ref": "fraud:2",
            "version": 2,
            "weight": 50.0,
            "requests": 990,
            "errors": 3,
            "error_rate": 0.00303,
            "p50_ms": 1.5,
            "p99_ms": 5.0,
            "reward_mean": 0.86,
            "reward_ci": [0.83, 0.89],
            "rewards": 580,
            "labelled": 580,
        },
    ],
    "step_variants": [],
    "shadows": [
        {
            "ref": "fraud:3",
            "version": 3,
            "percent": 10.0,
            "mirrored": 199,
            "dropped": 1,
            "errors": 0,
            "agreement": 0.97,
            "mean_abs_diff": 0.012,
            "max_abs_diff": 0.4,
            "p50_ms": 1.1,
            "p99_ms": 3.0,
        }
    ],
    "verdict": {
        "metric": "accuracy",
        "control": "a",
        "best": "a",  # the control leads: the line still names the comparison made
        "challenger": "b",
        "difference": -0.05,
        "p_value": 0.0123,
        "test": "two-proportion z-test",
        "comparisons": [],
        "srm_p_value": 0.0002,
        "srm_mismatch": True,
        "notes": ["fewer than 1000 rewards per variant"],
    },
    "history": [
        {
            "at": "2026-12-01T10:00:00+00:00",
            "actor": "modelyard",
            "action": "start",
            "from": None,
            "to": "running",
            "step": None,
            "reason": "started",
            "figures": {},
        }
    ],
}


@dataclass
class FakeServer:
    """A real HTTP server on 127.0.0.1 answering every request with ``reply``."""

    url: str
    reply: tuple[int, bytes] = (200, orjson.dumps(AB_DOCUMENT))
    seen: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    port = free_port()
    fake = FakeServer(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = orjson.loads(self.rfile.read(length)) if length else None
            fake.seen.append((self.command, self.path, dict(self.headers), body))
            status, content = fake.reply
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            """Quiet: the test asserts on what was seen."""

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)  # listening once constructed
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield fake
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def test_status_through_a_server_shows_variants_shadows_and_the_verdict(
    cli: Callable, server: FakeServer
) -> None:
    result = cli("rollout", "status", "bc", "--server", server.url + "/", "--token", "t0k")
    assert result.code == 0, result.err
    [(method, path, headers, body)] = server.seen
    assert (method, path, headers["Authorization"], body) == (
        "GET",
        "/endpoints/bc/rollout",
        "Bearer t0k",
        None,
    )
    out = result.out
    assert out.splitlines()[0] == (
        "rollout of 'bc': ab, running; started 2026-12-01 10:00:00, updated 2026-12-01 11:00:00"
    )
    assert "0.860 [0.830, 0.890]" in out and "580 (580 labels)" in out and "3 (0.30%)" in out
    assert "shadows" in out and "97.0%" in out and "199" in out
    assert (
        "verdict on accuracy: b vs a: difference -0.0500, p = 0.0123 (two-proportion z-test); "
        "best so far: a"
    ) in out
    assert "sample ratio mismatch: p = 0.0002, the split differs from the weights" in out
    assert "note: fewer than 1000 rewards per variant" in out


def test_an_action_through_a_server_posts_the_reason_with_the_token(
    cli: Callable, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELYARD_SERVER", server.url)
    monkeypatch.setenv("MODELYARD_TOKEN", "my_admin")
    result = cli("rollout", "promote", "b c", "--variant", "b", "--reason", "b wins")
    assert result.code == 0, result.err
    [(method, path, headers, body)] = server.seen
    assert (method, path, headers["Authorization"]) == (
        "POST",
        "/admin/rollouts/b%20c/promote",
        "Bearer my_admin",
    )
    assert body == {"reason": "b wins", "variant": "b"}
    assert result.out.splitlines() == [
        "rollout of 'bc': running",
        "2026-12-01 10:00:00  modelyard  start: - → running  started",
    ]


@pytest.mark.parametrize("status", [401, 403, 404, 409, 422])
def test_a_server_error_is_its_message_on_one_line(
    cli: Callable, server: FakeServer, status: int
) -> None:
    server.reply = (status, b'{"error": "cannot pause: the rollout is promoted"}')
    result = cli("rollout", "pause", "bc", "--reason", "x", "--server", server.url)
    assert result.code == 2
    assert result.err == "error: cannot pause: the rollout is promoted\n"
    assert result.out == ""


def test_a_server_answer_without_a_message_names_the_status(
    cli: Callable, server: FakeServer
) -> None:
    server.reply = (500, b"Internal Server Error")
    result = cli("rollout", "status", "bc", "--server", server.url)
    assert result.code == 2
    assert result.err == (
        f"error: the server at {server.url} answered 500 without a rollout status\n"
    )


def test_a_server_that_is_not_there_is_one_line_naming_it(cli: Callable) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("rollout", "status", "bc", "--server", url)
    assert result.code == 2
    assert result.err == (
        f"error: cannot connect to the server at {url}: is `modelyard serve` running there?\n"
    )


def test_a_server_without_a_scheme_is_refused(cli: Callable) -> None:
    result = cli("rollout", "status", "bc", "--server", "127.0.0.1:8000")
    assert result.code == 2
    assert result.err == (
        "error: --server expects an http:// or https:// URL, got '127.0.0.1:8000'\n"
    )
