"""The endpoints pages in a real browser: each endpoint's variants, live figures that move
with real traffic, and rollout buttons that change what ``modelyard rollout status`` shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import expect
from registrytools import start_dashboard_on

from browsertools import Visit, screenshot, visit
from modelyard.demo import Demo, prepare
from modelyard.registry import Registry
from modelyard.routing import status_text
from serving.servertools import RunningServer, new_token, start_server

pytestmark = pytest.mark.slow

WAIT_MS = 30_000
CANARY: dict[str, Any] = {
    "id": "canary",
    "model": "breast_cancer@production",
    "traffic": {
        "strategy": "canary",
        "candidate": "breast_cancer:2",
        "steps": [20, 50],
        "interval": "10m",
        "min_requests": 1000,
        "max_error_rate": 0.02,
    },
}
AB: dict[str, Any] = {
    "id": "ab",
    "model": "breast_cancer@production",
    "traffic": {
        "strategy": "ab",
        "variants": {"control": "breast_cancer@production", "treatment": "breast_cancer:2"},
    },
}
AB_REWARDS: dict[str, Any] = {**AB, "id": "ab-rewards"}
BANDIT: dict[str, Any] = {
    "id": "bandit",
    "model": "breast_cancer@production",
    "traffic": {
        "strategy": "bandit",
        "variants": ["breast_cancer@production", "breast_cancer:2"],
    },
}
PROMOTED: dict[str, Any] = {
    "id": "digits-canary",
    "model": "digits_is_3@production",
    "traffic": {**CANARY["traffic"], "candidate": "digits_is_3:2"},
}
SHADOW: dict[str, Any] = {
    "id": "shadowed",
    "model": "breast_cancer@production",
    "traffic": {"strategy": "shadow", "shadows": ["breast_cancer:2"]},
}
AUTH_REFUSAL = (
    "this route needs a bearer token of role admin: send 'Authorization: Bearer <token>'; "
    "create one with `modelyard token create NAME --role admin`"
)


@pytest.fixture(scope="module")
def rollout_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo's registry with a second version of each model to roll out."""
    demo = prepare(tmp_path_factory.mktemp("ui-rollout-demo"))
    registry = Registry(demo.registry_url, demo.artifacts)
    registry.register(registry.fetch("breast_cancer@production"))
    registry.register(registry.fetch("digits_is_3@production"))
    registry.close()
    return demo


@pytest.fixture(scope="module")
def admin_token(rollout_demo: Demo) -> str:
    """An admin token of that registry (made before its server starts)."""
    token = new_token(rollout_demo, "ui-rollout-admin", "admin")
    return token


@pytest.fixture(scope="module")
def predict_token(rollout_demo: Demo) -> str:
    """A token of that registry that may predict but not act on rollouts."""
    token = new_token(rollout_demo, "ui-rollout-caller", "predict")
    return token


@pytest.fixture(scope="module")
def rollouts(
    rollout_demo: Demo,
    admin_token: str,
    predict_token: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServer]:
    """A server of a canary, two A/B tests, a bandit and a shadow (rollouts tick every 0.2 s);
    its tokens are made before it starts."""
    workdir = tmp_path_factory.mktemp("ui-rollouts")
    path = workdir / "endpoints.yaml"
    path.write_text(
        yaml.safe_dump(
            {"endpoints": [CANARY, AB, AB_REWARDS, BANDIT, SHADOW, PROMOTED]}, sort_keys=False
        )
    )
    running = start_server(rollout_demo, path, workdir, rollout_tick_s=0.2)
    yield running
    running.stop()


class Traffic:
    """Predict requests sent from a thread until stopped, as clients would."""

    def __init__(self, url: str, endpoint: str, record: dict[str, float]) -> None:
        self._stop = threading.Event()

        def send() -> None:
            with httpx.Client(timeout=30) as client:
                while not self._stop.is_set():
                    answer = client.post(
                        f"{url}/endpoints/{endpoint}/predict", json={"instances": [record]}
                    )
                    answer.raise_for_status()

        self._thread = threading.Thread(target=send, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


def cli_status(demo: Demo, endpoint: str) -> dict[str, Any]:
    """``modelyard rollout status ENDPOINT --json`` on the server's registry, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("MODELYARD_SERVER", "MODELYARD_TOKEN")}
    command = [str(Path(sys.executable).with_name("modelyard"))]
    command += ["--registry", demo.registry_url, "--artifacts", str(demo.artifacts)]
    command += ["rollout", "status", endpoint, "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def problems_besides_refusal(seen: Visit, status: int) -> list[str]:
    """The page's problems but the two console lines a refused action leaves (the browser's
    failed resource and htmx's response error), which must both be there."""
    refusal = (
        f"console: Failed to load resource: the server responded with a status of {status} ",
        f"console: Response Status Error Code {status} from /admin/rollouts/",
    )
    problems = seen.problems()
    for start in refusal:
        assert any(problem.startswith(start) for problem in problems), problems
    return [problem for problem in problems if not problem.startswith(refusal)]


def sign_in(seen: Visit, token: str) -> None:
    seen.page.fill("#login-token", token)
    seen.page.click("#login-button")
    expect(seen.page.locator("#login-state")).to_have_text("admin token set")


def act(seen: Visit, action: str, reason: str) -> None:
    seen.page.fill("#rollout-reason", reason)
    seen.page.click(f"#rollout-{action}")


def test_the_endpoints_page_lists_each_endpoint_with_its_variants_and_shadows(
    browser: Any, rollouts: RunningServer
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.set_viewport_size({"width": 1280, "height": 800})
        seen.page.goto("/ui/endpoints")
        canary = seen.page.locator("#endpoint-canary")
        expect(canary.locator(".strategy")).to_have_text("canary")
        expect(canary.locator("tr.arm")).to_have_count(2)
        candidate = canary.locator('tr[data-variant="candidate"] td')
        expect(candidate).to_have_text(
            ["candidate", "variant", "20%", "breast_cancer", "2", "breast_cancer:2"]
        )
        shadow = seen.page.locator('#endpoint-shadowed tr[data-role="shadow"] td')
        expect(shadow.nth(2)).to_have_text("100% copied")
        expect(shadow.nth(4)).to_have_text("2")
        expect(seen.page.locator('a[href="/ui/endpoints/bandit"]')).to_have_text("bandit")
        screenshot(seen.page, "endpoints.png")
        assert seen.problems() == []


def test_the_request_counter_rises_while_traffic_flows(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.set_viewport_size({"width": 1280, "height": 800})
        seen.page.goto("/ui/endpoints/canary")
        counter = seen.page.locator(
            'tr.live-variant[data-variant="primary"] [data-figure="requests"]'
        )
        before = int(counter.inner_text())
        traffic = Traffic(rollouts.url, "canary", rollout_demo.cancer_record)
        try:
            expect(counter).not_to_have_text(str(before), timeout=WAIT_MS)
            rate = seen.page.locator('tr.live-variant[data-variant="primary"] [data-figure="rate"]')
            expect(rate).not_to_have_text("—", timeout=WAIT_MS)
            expect(
                seen.page.locator('tr.stage-variant[data-variant="primary"] [data-stage="infer"]')
            ).not_to_contain_text("—", timeout=WAIT_MS)
            rollout_requests = seen.page.locator(
                'table.rollout-variants tr[data-variant="primary"] td'
            ).nth(4)
            expect(rollout_requests).not_to_have_text("0", timeout=WAIT_MS)
            trend = seen.page.locator('tr.live-variant[data-variant="primary"] svg.sparkline')
            expect(trend).to_have_attribute("data-points", re.compile(r"^([3-9]|\d\d+)$"))
            screenshot(seen.page, "endpoint.png")
        finally:
            traffic.stop()
        assert int(counter.inner_text()) > before
        assert float(rate.inner_text()) > 0
        assert seen.problems() == []


def test_the_rollout_buttons_change_the_state_the_cli_shows(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo, admin_token: str
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/canary")
        sign_in(seen, admin_token)
        state = seen.page.locator("#rollout-state")
        expect(state).to_have_text("running")
        for action, shown in (("pause", "paused"), ("resume", "running"), ("abort", "aborted")):
            act(seen, action, f"{action} from the dashboard")
            expect(state).to_have_text(shown, timeout=WAIT_MS)
            document = cli_status(rollout_demo, "canary")
            assert document["state"] == shown
            assert document["history"][-1]["reason"] == f"{action} from the dashboard"
            assert document["history"][-1]["actor"] == "ui-rollout-admin"
        history = seen.page.locator("table.rollout-history tbody tr").first.locator("td")
        expect(history.nth(2)).to_have_text("abort")
        expect(history.nth(3)).to_have_text("running → aborted (step 0)")
        expect(seen.page.locator("#rollout-message")).to_be_hidden()
        assert seen.problems() == []


def test_promote_moves_the_alias_to_the_candidate(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo, admin_token: str
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/digits-canary")
        sign_in(seen, admin_token)
        act(seen, "promote", "the candidate is ready")
        expect(seen.page.locator("#rollout-state")).to_have_text("promoted", timeout=WAIT_MS)
        assert cli_status(rollout_demo, "digits-canary")["state"] == "promoted"
        registry = Registry(rollout_demo.registry_url, rollout_demo.artifacts)
        try:
            assert registry.aliases("digits_is_3")["production"] == 2
        finally:
            registry.close()
        assert seen.problems() == []


def test_a_rollout_button_without_a_token_shows_the_refusal(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/ab")
        act(seen, "pause", "no token")
        expect(seen.page.locator("#rollout-message")).to_have_text(AUTH_REFUSAL)
        expect(seen.page.locator("#rollout-state")).to_have_text("running")
        assert cli_status(rollout_demo, "ab")["state"] == "running"
        # the refused request is a console error of the browser's own; nothing else went wrong
        assert problems_besides_refusal(seen, 401) == []


def test_a_rollout_button_with_a_token_of_another_role_shows_the_refusal(
    browser: Any, rollouts: RunningServer, predict_token: str
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/ab")
        sign_in(seen, predict_token)
        act(seen, "abort", "not mine to abort")
        expect(seen.page.locator("#rollout-message")).to_have_text(
            "this route needs a token of role admin, not predict; "
            "create one with `modelyard token create NAME --role admin`"
        )
        expect(seen.page.locator("#rollout-state")).to_have_text("running")
        assert problems_besides_refusal(seen, 403) == []


def test_an_action_the_state_does_not_allow_shows_the_servers_message(
    browser: Any, rollouts: RunningServer, admin_token: str
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/bandit")
        sign_in(seen, admin_token)
        act(seen, "resume", "it runs already")
        expect(seen.page.locator("#rollout-message")).to_have_text(
            "cannot resume the rollout of endpoint bandit: it is running, and resume expects "
            "it paused or inconclusive"
        )
        assert problems_besides_refusal(seen, 409) == []


def test_an_action_without_a_reason_shows_the_field_to_fill(
    browser: Any, rollouts: RunningServer, admin_token: str
) -> None:
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/bandit")
        sign_in(seen, admin_token)
        act(seen, "pause", "")
        expect(seen.page.locator("#rollout-message")).to_have_text("/reason: Field required")
        expect(seen.page.locator("#rollout-state")).to_have_text("running")
        assert problems_besides_refusal(seen, 422) == []


def send(url: str, endpoint: str, record: dict[str, float], count: int = 20) -> None:
    with httpx.Client(timeout=30) as client:
        for _ in range(count):
            answer = client.post(
                f"{url}/endpoints/{endpoint}/predict", json={"instances": [record]}
            )
            answer.raise_for_status()


def test_an_ab_test_shows_its_weights_and_verdict_as_the_cli_does(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo
) -> None:
    send(rollouts.url, "ab", rollout_demo.cancer_record)
    document = cli_status(rollout_demo, "ab")
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/ab")
        expect(seen.page.locator("#rollout-verdict")).to_contain_text(
            "not enough feedback yet to compare the variants"
        )
        for item in document["variants"]:
            row = seen.page.locator(f'table.rollout-variants tr[data-variant="{item["name"]}"] td')
            expect(row.nth(3)).to_have_text(f"{item['weight']:g}%")
            expect(row.nth(9)).to_have_text("-")  # no feedback yet: no reward
        assert seen.problems() == []


def test_an_ab_test_shows_rewards_with_intervals_and_the_verdict(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo
) -> None:
    url = f"{rollouts.url}/endpoints/ab-rewards"
    with httpx.Client(timeout=30) as client:
        items = []
        for i in range(200):
            answer = client.post(f"{url}/predict", json={"instances": [rollout_demo.cancer_record]})
            won = answer.headers["x-variant"] == "treatment" or i % 4 == 0
            items.append({"request_id": answer.headers["x-request-id"], "reward": float(won)})
        assert client.post(f"{url}/feedback", json=items).status_code == 200
    document = cli_status(rollout_demo, "ab-rewards")
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/ab-rewards")
        verdict = seen.page.locator("#rollout-verdict p").first
        expect(verdict).to_have_text(status_text.verdict_lines(document["verdict"])[0])
        expect(verdict).to_contain_text("treatment vs control")
        for item in document["variants"]:
            row = seen.page.locator(f'table.rollout-variants tr[data-variant="{item["name"]}"] td')
            low, high = item["reward_ci"]
            expect(row.nth(9)).to_have_text(
                f"{item['reward_mean']:.3f} [{low:.3f}, {high:.3f}]", timeout=WAIT_MS
            )
        assert seen.problems() == []


def test_a_bandit_shows_each_arms_share_of_traffic(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo
) -> None:
    send(rollouts.url, "bandit", rollout_demo.cancer_record)
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/bandit")
        table = seen.page.locator("table.rollout-variants")
        expect(table.locator("caption")).to_contain_text("share of traffic, set by the rewards")
        shares = table.locator("tbody tr td:nth-child(4)").all_inner_texts()
        assert len(shares) == 2
        assert abs(sum(float(share.rstrip("%")) for share in shares) - 100) < 0.1
        expect(seen.page.locator("#bandit-shares .share")).to_have_count(2)
        assert seen.problems() == []


def test_a_shadow_shows_how_its_answers_agreed(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo
) -> None:
    send(rollouts.url, "shadowed", rollout_demo.cancer_record)
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/shadowed")
        agreement = seen.page.locator(
            'table.rollout-shadows tr[data-shadow="breast_cancer:2"] td'
        ).nth(6)
        expect(agreement).to_have_text("100.0%", timeout=WAIT_MS)
        assert seen.problems() == []


def test_refused_requests_show_in_the_error_rate(
    browser: Any, rollouts: RunningServer, rollout_demo: Demo
) -> None:
    send(rollouts.url, "shadowed", rollout_demo.cancer_record, count=10)
    with httpx.Client(timeout=30) as client:
        for _ in range(10):
            refused = client.post(
                f"{rollouts.url}/endpoints/shadowed/predict", json={"instances": "no rows"}
            )
            assert refused.status_code == 422
    with visit(browser, rollouts.url) as seen:
        seen.page.goto("/ui/endpoints/shadowed")
        errors = seen.page.locator('tr.live-variant[data-variant="primary"] [data-figure="errors"]')
        expect(errors).to_have_text(re.compile(r"^\d+\.\d\d%$"), timeout=WAIT_MS)
        expect(errors).not_to_have_text("0.00%", timeout=WAIT_MS)
        assert seen.problems() == []


def test_an_endpoint_of_one_version_has_live_figures_and_no_rollout(
    browser: Any, ui_server: RunningServer
) -> None:
    with visit(browser, ui_server.url) as seen:
        seen.page.goto("/ui/endpoints/breast-cancer")
        expect(seen.page.locator("h1")).to_contain_text("breast-cancer")
        expect(seen.page.locator("tr.live-variant")).to_have_count(1)
        expect(seen.page.locator("tr.arm td").nth(2)).to_have_text("100%")
        expect(seen.page.locator("#rollout")).to_have_count(0)
        expect(seen.page.locator("#rollout-actions")).to_have_count(0)
        assert seen.problems() == []


@pytest.mark.parametrize("tail", ["", "/live", "/rollout"])
def test_an_endpoint_that_is_not_served_is_a_404_naming_the_served_ones(
    rollouts: RunningServer, tail: str
) -> None:
    """The page and both of its fragments answer an unknown id alike."""
    answer = httpx.get(f"{rollouts.url}/ui/endpoints/nope-x{tail}")
    assert answer.status_code == 404
    assert "No endpoint of that name is served here." in answer.text
    assert 'href="/ui/endpoints/canary"' in answer.text
    assert "nope-x" not in answer.text


@pytest.fixture(scope="module")
def registry_only(rollout_demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``modelyard ui`` on the same registry: no server attached."""
    running = start_dashboard_on(
        rollout_demo.registry_url, str(rollout_demo.artifacts), tmp_path_factory.mktemp("ui-alone")
    )
    try:
        yield running.url
    finally:
        running.stop()


@pytest.mark.parametrize(
    "path",
    [
        "/ui/endpoints",
        "/ui/endpoints/canary",
        "/ui/endpoints/canary/live",
        "/ui/endpoints/canary/rollout",
    ],
)
def test_without_a_server_the_endpoints_pages_say_so(
    browser: Any, registry_only: str, path: str
) -> None:
    with visit(browser, registry_only) as seen:
        answer = seen.page.goto(path)
        assert answer is not None and answer.status == 200
        expect(seen.page.locator("#no-server")).to_contain_text("No server is attached")
        assert seen.problems() == []
