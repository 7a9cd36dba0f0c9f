"""The aliases page in a real browser, and the rollback admin route it posts to, on a real
server whose registry has moved its aliases a few times."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from registrytools import open_registry, with_alias_history, with_dotted_model

from browsertools import screenshot, visit
from modelyard.demo import CANCER, DIGITS, Demo
from serving.servertools import RunningServer, start_server

WAIT_MS = 10_000
NO_TOKEN = (
    "this route needs a bearer token of role admin: send 'Authorization: Bearer <token>'; "
    "create one with `modelyard token create NAME --role admin`"
)


DOTTED = "churn.v2"
"""A valid model name with a dot, which a CSS selector would read as an id and a class."""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    demo = with_alias_history(tmp_path_factory.mktemp("aliases-page"))
    with_dotted_model(demo, DOTTED)
    return demo


@pytest.fixture(scope="module")
def tokens(history: Demo) -> dict[str, str]:
    """An admin and a predict token, made before the server starts (it reads them at start)."""
    registry = open_registry(history)
    admin, _ = registry.tokens.create("release-bot", "admin")
    predict, _ = registry.tokens.create("some-client", "predict")
    registry.close()
    return {"admin": admin, "predict": predict}


@pytest.fixture(scope="module")
def server(
    history: Demo, tokens: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = start_server(
        history, Path(history.endpoints_file), tmp_path_factory.mktemp("aliases-server")
    )
    yield running
    running.stop()


def _rollback_url(server: RunningServer, name: str, alias: str) -> str:
    return f"{server.url}/admin/models/{name}/aliases/{alias}/rollback"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _target(history: Demo, name: str, alias: str) -> int | None:
    registry = open_registry(history)
    try:
        return registry.aliases(name).get(alias)
    finally:
        registry.close()


def test_aliases_page_shows_targets_and_every_move(browser: Any, server: RunningServer) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto("/ui/aliases")
        section = seen.page.locator(f'section[data-model="{DIGITS}"]')
        expect(section.locator('tr[data-alias="production"] .target-version')).to_have_text(
            "v2", timeout=WAIT_MS
        )
        cancer = seen.page.locator(f'section[data-model="{CANCER}"]')
        forced = cancer.locator("table.history tbody tr").filter(has_text="hotfix past the gates")
        expect(forced.locator(".move")).to_have_text("v2 → v3")
        expect(forced.locator(".actor")).to_have_text("bob")
        expect(forced.locator(".kind")).to_have_text("forced past its gates")
        created = cancer.locator("table.history tbody tr").last
        expect(created.locator(".move")).to_have_text("created → v1")
        expect(created.locator(".reason")).to_have_text("demo")
        seen.page.set_viewport_size({"width": 1280, "height": 800})
        screenshot(seen.page, "aliases.png")
        assert seen.problems() == []


def test_roll_back_without_a_token_is_refused_next_to_the_button(
    browser: Any, server: RunningServer, history: Demo
) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto("/ui/aliases")
        row = seen.page.locator(f'section[data-model="{CANCER}"] tr[data-alias="staging"]')
        row.get_by_role("button", name="Roll back").click()
        expect(row.locator("[data-error-text]")).to_have_text(NO_TOKEN, timeout=WAIT_MS)
        expect(row.locator(".target-version")).to_have_text("v3")
        # the browser and htmx each log the refused request; nothing else went wrong
        assert [problem for problem in seen.problems() if " 401 " not in problem] == []
    assert _target(history, CANCER, "staging") == 3


def test_roll_back_with_the_admin_token_moves_the_alias_and_shows_the_new_row(
    browser: Any, server: RunningServer, history: Demo, tokens: dict[str, str]
) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto("/ui/aliases")
        seen.page.locator("#login-token").fill(tokens["admin"])
        seen.page.locator("#login-button").click()
        expect(seen.page.locator("#login-state")).to_have_text("admin token set")
        section = seen.page.locator(f'section[data-model="{CANCER}"]')
        row = section.locator('tr[data-alias="production"]')
        row.locator('input[name="reason"]').fill("v3 answers slowly")
        row.get_by_role("button", name="Roll back").click()
        expect(row.locator(".target-version")).to_have_text("v2", timeout=WAIT_MS)
        newest = section.locator("table.history tbody tr").first
        expect(newest.locator(".move")).to_have_text("v3 → v2")
        expect(newest.locator(".actor")).to_have_text("release-bot")
        expect(newest.locator(".reason")).to_have_text("v3 answers slowly")
        expect(newest.locator(".kind")).to_contain_text("rollback of #")
        undone = section.locator("table.history tbody tr").filter(has_text="hotfix past")
        expect(undone).to_have_class("rolled-back")
        assert seen.problems() == []
    assert _target(history, CANCER, "production") == 2


def test_roll_back_works_on_a_model_whose_name_has_a_dot(
    browser: Any, server: RunningServer, history: Demo, tokens: dict[str, str]
) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto("/ui/aliases")
        seen.page.locator("#login-token").fill(tokens["admin"])
        seen.page.locator("#login-button").click()
        section = seen.page.locator(f'section[data-model="{DOTTED}"]')
        row = section.locator('tr[data-alias="production"]')
        expect(row.locator(".target-version")).to_have_text("v2", timeout=WAIT_MS)
        row.get_by_role("button", name="Roll back").click()
        expect(row.locator(".target-version")).to_have_text("v1", timeout=WAIT_MS)
        newest = section.locator("table.history tbody tr").first
        expect(newest.locator(".move")).to_have_text("v2 → v1")
        expect(newest.locator(".actor")).to_have_text("release-bot")
        expect(seen.page.locator("#flash")).to_be_hidden()
        assert seen.problems() == []
    assert _target(history, DOTTED, "production") == 1


def test_an_htmx_failure_that_sends_nothing_is_still_reported(
    browser: Any, server: RunningServer
) -> None:
    """A request whose target cannot be found never leaves the page; the page says so."""
    with visit(browser, server.url) as seen:
        seen.page.goto("/ui/aliases")
        expect(seen.page.locator("#login-state")).to_have_text("no admin token")
        seen.page.evaluate(
            """() => {
                const button = document.createElement("button");
                button.id = "lost";
                button.setAttribute("hx-get", "/ui/aliases");
                button.setAttribute("hx-target", "#model-churn.v2");
                document.querySelector("main").append(button);
                htmx.process(button);
            }"""
        )
        seen.page.locator("#lost").click()
        expect(seen.page.locator("#flash")).to_have_text(
            "this page could not place the answer; reload the page", timeout=WAIT_MS
        )


def test_the_section_of_an_unknown_model_is_a_404_naming_the_models(server: RunningServer) -> None:
    answer = httpx.get(f"{server.url}/ui/aliases/nope")
    assert answer.status_code == 404
    assert f"no model of that name; models: {CANCER}, {DOTTED}, {DIGITS}" in answer.text


def test_an_htmx_request_also_gets_json(
    server: RunningServer, tokens: dict[str, str], history: Demo
) -> None:
    """The admin route renders no dashboard HTML: the dashboard fetches its own section."""
    answer = httpx.post(
        _rollback_url(server, CANCER, "production"),
        json={"reason": "back to where it was"},
        headers={**_bearer(tokens["admin"]), "HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert (answer.json()["alias"], answer.json()["reason"]) == (
        "production",
        "back to where it was",
    )


def test_an_api_caller_gets_the_recorded_move_as_json(
    server: RunningServer, tokens: dict[str, str], history: Demo
) -> None:
    answer = httpx.post(
        _rollback_url(server, DIGITS, "production"),
        json={"reason": "retrained model misses threes"},
        headers=_bearer(tokens["admin"]),
    )
    assert answer.status_code == 200
    move = answer.json()
    assert (move["name"], move["alias"], move["from_version"], move["to_version"]) == (
        DIGITS, "production", 2, 1,
    )  # fmt: skip
    assert (move["actor"], move["reason"], move["forced"]) == (
        "release-bot", "retrained model misses threes", False,
    )  # fmt: skip
    assert _target(history, DIGITS, "production") == 1


@pytest.mark.parametrize(
    ("name", "alias", "status", "message"),
    [
        ("nope", "production", 404,
         f"no model of that name; models: {CANCER}, {DOTTED}, {DIGITS}"),
        (CANCER, "nope", 404, f"{CANCER} has no alias of that name; aliases: production, staging"),
        (
            CANCER, "staging", 409,
            f"cannot roll back {CANCER}@staging: it pointed nowhere before version 3; "
            "expected an earlier target to return to",
        ),
    ],
)  # fmt: skip
def test_unknown_names_and_nothing_to_return_to_are_refused(
    server: RunningServer, tokens: dict[str, str], name: str, alias: str, status: int, message: str
) -> None:
    answer = httpx.post(_rollback_url(server, name, alias), headers=_bearer(tokens["admin"]))
    assert answer.status_code == status
    assert answer.json()["error"] == message


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"reason": ""}', 422,
         '/reason: String should have at least 1 character; expected {"reason": "why"} or no body'),
        (b'{"why": "x"}', 422,
         '/why: Extra inputs are not permitted; expected {"reason": "why"} or no body'),
        (b'{"reason": ', 400, "malformed JSON: unexpected end of data: line 1 column 12 (char 11)"),
    ],
)  # fmt: skip
def test_a_bad_body_is_refused_naming_the_field(
    server: RunningServer, tokens: dict[str, str], body: bytes, status: int, message: str
) -> None:
    answer = httpx.post(
        _rollback_url(server, CANCER, "staging"),
        content=body,
        headers={**_bearer(tokens["admin"]), "content-type": "application/json"},
    )
    assert answer.status_code == status
    assert answer.json()["error"] == message


def test_a_predict_token_may_not_roll_back(
    server: RunningServer, tokens: dict[str, str], history: Demo
) -> None:
    answer = httpx.post(
        _rollback_url(server, CANCER, "staging"), headers=_bearer(tokens["predict"])
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == (
        "this route needs a token of role admin, not predict; "
        "create one with `modelyard token create NAME --role admin`"
    )
    assert answer.headers["www-authenticate"].startswith('Bearer realm="modelyard"')


def test_the_route_is_documented_with_every_answer(server: RunningServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    operation = document["paths"]["/admin/models/{name}/aliases/{alias}/rollback"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert operation["security"] == [{"bearer": []}]
    assert set(operation["responses"]["200"]["content"]) == {"application/json"}
    body = operation["requestBody"]
    assert body["required"] is False
    assert "reason" in body["content"]["application/json"]["schema"]["properties"]
