"""Tokens on a real server: admin routes need an admin token; predict routes when the file says.

One server process serves an endpoints file with ``auth: {predict: required}`` at the top
and one endpoint that opts out; its registry poll runs every 0.25 s, so created and revoked
tokens reach it within the tests' deadlines.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from servertools import RunningServer, start_server
from sqlalchemy import create_engine, text

from modelyard.core.errors import ConfigError
from modelyard.demo import Demo
from modelyard.pipeline.endpoint import read_endpoints_file
from modelyard.registry import Registry
from modelyard.serving.auth import Guards, TokenCache, bearer_token

POLL_S = 0.25
DEADLINE_S = 30
HOW_ADMIN = "create one with `modelyard token create NAME --role admin`"
HOW_PREDICT = "create one with `modelyard token create NAME --role predict`"
NO_TOKEN_ADMIN = (
    "this route needs a bearer token of role admin: send 'Authorization: Bearer <token>'; "
    + HOW_ADMIN
)
NO_TOKEN_PREDICT = (
    "this route needs a bearer token of role predict or admin: send "
    f"'Authorization: Bearer <token>'; {HOW_PREDICT}"
)
REALM = 'Bearer realm="modelyard"'


@pytest.fixture(scope="module")
def registry(demo: Demo) -> Iterator[Registry]:
    store = Registry(demo.registry_url, demo.artifacts)
    yield store
    store.close()


@pytest.fixture(scope="module")
def tokens(registry: Registry) -> dict[str, str]:
    """An admin and a predict token, made before the server starts."""
    return {
        role: registry.tokens.create(f"auth-tests-{role}", role)[0] for role in ("admin", "predict")
    }


@pytest.fixture(scope="module")
def guarded(
    demo: Demo, tokens: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A server whose predict routes need a token, but for ``open-cancer``."""
    workdir = tmp_path_factory.mktemp("auth")
    path = workdir / "endpoints.yaml"
    document = {
        "auth": {"predict": "required"},
        "endpoints": [
            {"id": "breast-cancer", "model": "breast_cancer@production"},
            {"id": "open-cancer", "model": "breast_cancer@production", "auth": {"predict": "open"}},
        ],
    }
    path.write_text(yaml.safe_dump(document))
    running = start_server(demo, path, workdir, reload_s=POLL_S)
    yield running
    running.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _predict(
    server: RunningServer, demo: Demo, endpoint: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    url = f"{server.url}/endpoints/{endpoint}/predict"
    return httpx.post(url, json={"instances": [demo.cancer_record]}, headers=headers)


def _infer(
    server: RunningServer, demo: Demo, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    tensor = {
        "name": "input",
        "shape": [1, 30],
        "datatype": "FP32",
        "data": list(demo.cancer_record.values()),
    }
    return httpx.post(f"{server.url}{path}", json={"inputs": [tensor]}, headers=headers)


def _wait_for_status(send: Callable[[], httpx.Response], status: int) -> httpx.Response:
    """Repeat ``send()`` until it answers ``status`` (the server's next poll), or give up."""
    give_up = time.monotonic() + DEADLINE_S
    while True:
        response = send()
        if response.status_code == status or time.monotonic() > give_up:
            return response
        time.sleep(POLL_S / 5)


# -- admin routes ------------------------------------------------------------------------------


def test_admin_reload_without_a_token_is_401_with_a_bearer_challenge(
    guarded: RunningServer,
) -> None:
    response = httpx.post(f"{guarded.url}/admin/reload", headers={"x-request-id": "no-token-1"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM
    assert response.json() == {"error": NO_TOKEN_ADMIN, "request_id": "no-token-1"}
    assert response.headers["x-request-id"] == "no-token-1"


def test_admin_reload_with_another_scheme_is_answered_as_without_a_token(
    guarded: RunningServer, tokens: dict[str, str]
) -> None:
    headers = {"Authorization": f"Basic {tokens['admin']}"}
    response = httpx.post(f"{guarded.url}/admin/reload", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM
    assert response.json()["error"] == NO_TOKEN_ADMIN


def test_admin_reload_with_an_unknown_token_is_401_invalid_token(
    guarded: RunningServer, tokens: dict[str, str]
) -> None:
    forged = tokens["admin"][:-4] + "AAAA"  # the right lookup characters, the wrong secret
    for token in (forged, "my_short", "not-a-token"):
        response = httpx.post(f"{guarded.url}/admin/reload", headers=_bearer(token))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == f'{REALM}, error="invalid_token"'
        assert response.json()["error"] == f"the bearer token is unknown or revoked; {HOW_ADMIN}"
        assert token not in response.text


def test_admin_reload_with_a_predict_token_is_403(
    guarded: RunningServer, tokens: dict[str, str]
) -> None:
    response = httpx.post(f"{guarded.url}/admin/reload", headers=_bearer(tokens["predict"]))
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        f'{REALM}, error="insufficient_scope", scope="admin"'
    )
    assert response.json()["error"] == (
        f"this route needs a token of role admin, not predict; {HOW_ADMIN}"
    )
    assert tokens["predict"] not in response.text


def test_admin_reload_with_an_admin_token_is_200(
    guarded: RunningServer, tokens: dict[str, str]
) -> None:
    response = httpx.post(f"{guarded.url}/admin/reload", headers=_bearer(tokens["admin"]))
    assert response.status_code == 200
    assert response.json() == {"switched": []}


# -- predict routes ----------------------------------------------------------------------------


def test_guarded_predict_without_a_token_is_401_and_never_reaches_the_model(
    guarded: RunningServer, demo: Demo
) -> None:
    response = _predict(guarded, demo, "breast-cancer", headers={"x-request-id": "no-token-2"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM
    assert response.headers["x-request-id"] == "no-token-2"
    assert response.json() == {"error": NO_TOKEN_PREDICT, "request_id": "no-token-2"}
    assert "x-model-version" not in response.headers
    metrics = httpx.get(f"{guarded.url}/metrics").text.splitlines()
    counted = [
        line
        for line in metrics
        if line.startswith("modelyard_errors_total{")
        and 'endpoint="breast-cancer"' in line
        and 'status="401"' in line
    ]
    assert len(counted) == 1 and float(counted[0].rsplit(" ", 1)[1]) >= 1


def test_guarded_predict_with_an_unknown_token_is_401_invalid_token(
    guarded: RunningServer, demo: Demo
) -> None:
    response = _predict(guarded, demo, "breast-cancer", headers=_bearer("my_" + "x" * 43))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'{REALM}, error="invalid_token"'
    assert response.json()["error"] == f"the bearer token is unknown or revoked; {HOW_PREDICT}"


@pytest.mark.parametrize("role", ["predict", "admin"])
def test_guarded_predict_answers_a_predict_or_admin_token(
    guarded: RunningServer, demo: Demo, tokens: dict[str, str], role: str
) -> None:
    response = _predict(guarded, demo, "breast-cancer", headers=_bearer(tokens[role]))
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 1


def test_guarded_v2_infer_needs_a_token_on_both_paths(
    guarded: RunningServer, demo: Demo, tokens: dict[str, str]
) -> None:
    for path in ("/v2/models/breast-cancer/infer", "/v2/models/breast-cancer/versions/1/infer"):
        refused = _infer(guarded, demo, path)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == REALM
        assert refused.json()["error"] == NO_TOKEN_PREDICT
        answered = _infer(guarded, demo, path, headers=_bearer(tokens["predict"]))
        assert answered.status_code == 200, answered.text
        assert answered.json()["model_name"] == "breast-cancer"


def test_an_endpoint_may_stay_open_in_a_guarded_file(guarded: RunningServer, demo: Demo) -> None:
    assert _predict(guarded, demo, "open-cancer").status_code == 200
    assert _infer(guarded, demo, "/v2/models/open-cancer/infer").status_code == 200


# -- the token cache follows the registry ---------------------------------------------------


def test_a_new_token_works_after_a_poll_and_a_revoked_one_is_refused_after_the_next(
    guarded: RunningServer, demo: Demo, registry: Registry
) -> None:
    token, _ = registry.tokens.create("auth-tests-short-lived", "predict")
    headers = _bearer(token)
    accepted = _wait_for_status(
        lambda: _predict(guarded, demo, "breast-cancer", headers=headers), 200
    )
    assert accepted.status_code == 200, accepted.text
    registry.tokens.revoke("auth-tests-short-lived")
    refused = _wait_for_status(
        lambda: _predict(guarded, demo, "breast-cancer", headers=headers), 401
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == f"the bearer token is unknown or revoked; {HOW_PREDICT}"
    assert token not in refused.text


def test_last_use_reaches_the_registry_on_the_next_poll(
    guarded: RunningServer, demo: Demo, registry: Registry
) -> None:
    token, _ = registry.tokens.create("auth-tests-last-used", "predict")
    headers = _bearer(token)
    _wait_for_status(lambda: _predict(guarded, demo, "breast-cancer", headers=headers), 200)
    give_up = time.monotonic() + DEADLINE_S
    while True:
        [info] = [t for t in registry.tokens.list_tokens() if t.name == "auth-tests-last-used"]
        if info.last_used_at is not None or time.monotonic() > give_up:
            break
        time.sleep(POLL_S / 5)
    assert info.last_used_at is not None
    assert info.last_used_at >= info.created_at


def test_admin_reload_rereads_the_tokens_at_once(
    demo: Demo, registry: Registry, tokens: dict[str, str], tmp_path: Path
) -> None:
    document = {"endpoints": [{"id": "cancer", "model": "breast_cancer@production"}]}
    server = start_server(demo, _write(tmp_path, document), tmp_path, reload_s=0)  # no poll
    admin = _bearer(tokens["admin"])
    try:
        late, _ = registry.tokens.create("auth-tests-late", "admin")
        reload_url = f"{server.url}/admin/reload"
        assert httpx.post(reload_url, headers=_bearer(late)).status_code == 401
        assert httpx.post(reload_url, headers=admin).status_code == 200
        assert httpx.post(reload_url, headers=_bearer(late)).status_code == 200
        registry.tokens.revoke("auth-tests-late")
        assert httpx.post(reload_url, headers=admin).status_code == 200
        refused = httpx.post(reload_url, headers=_bearer(late))
        assert refused.status_code == 401
        assert refused.json()["error"] == f"the bearer token is unknown or revoked; {HOW_ADMIN}"
    finally:
        server.stop()


def test_a_failed_token_refresh_keeps_the_tokens_loaded_and_their_use(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    store = Registry(url, str(tmp_path / "artifacts"))
    token, _ = store.tokens.create("app", "predict")
    cache = TokenCache(store.tokens)
    cache.load()
    guard = Guards(cache).predict
    header = f"Bearer {token}".encode()
    assert guard.check(header) is None  # noted as used
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE tokens RENAME TO tokens_away"))
    asyncio.run(cache.refresh())
    assert "token refresh failed; checking requests against the tokens loaded" in caplog.text
    assert guard.check(header) is None
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE tokens_away RENAME TO tokens"))
    engine.dispose()
    asyncio.run(cache.refresh())
    [info] = store.tokens.list_tokens()
    assert info.last_used_at is not None
    store.close()


def test_the_bearer_header_is_read_as_fastapi_reads_it() -> None:
    assert bearer_token(b"Bearer my_abc") == "my_abc"
    assert bearer_token(b"bearer   my_abc  ") == "my_abc"
    assert bearer_token(b"Basic my_abc") is None
    assert bearer_token(b"Bearer") is None
    assert bearer_token(b"Bearer ") is None
    assert bearer_token(None) is None


# -- the documents -----------------------------------------------------------------------------


def test_openapi_declares_the_bearer_scheme_and_marks_what_needs_it(
    guarded: RunningServer,
) -> None:
    document = httpx.get(f"{guarded.url}/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearer"]["type"] == "http"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    paths = document["paths"]
    guarded_operations = [
        paths["/admin/reload"]["post"],
        paths["/endpoints/breast-cancer/predict"]["post"],
        paths["/v2/models/breast-cancer/infer"]["post"],
        paths["/v2/models/breast-cancer/versions/1/infer"]["post"],
    ]
    for operation in guarded_operations:
        assert operation["security"] == [{"bearer": []}]
        assert {"401", "403"} <= set(operation["responses"])
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    for open_operation in (
        paths["/endpoints/open-cancer/predict"]["post"],
        paths["/v2/models/open-cancer/infer"]["post"],
        paths["/endpoints"]["get"],
    ):
        assert "security" not in open_operation
        assert "401" not in open_operation["responses"]


# -- the endpoints file ------------------------------------------------------------------------


def _write(tmp_path: Path, document: dict[str, object]) -> Path:
    path = tmp_path / "endpoints.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_predict_routes_are_open_unless_the_file_says(tmp_path: Path) -> None:
    endpoints = [{"id": "a", "model": "m@prod"}, {"id": "b", "model": "m@prod"}]
    plain, _ = read_endpoints_file(_write(tmp_path, {"endpoints": endpoints}))
    assert [spec.auth.predict for spec in plain.endpoints if spec.auth] == ["open", "open"]
    endpoints[1]["auth"] = {"predict": "open"}
    document = {"auth": {"predict": "required"}, "endpoints": endpoints}
    guarded, _ = read_endpoints_file(_write(tmp_path, document))
    assert [spec.auth.predict for spec in guarded.endpoints if spec.auth] == ["required", "open"]


def test_an_unknown_auth_policy_names_the_file_line_and_the_choices(tmp_path: Path) -> None:
    path = _write(
        tmp_path, {"auth": {"predict": "maybe"}, "endpoints": [{"id": "a", "model": "m@p"}]}
    )
    with pytest.raises(ConfigError) as raised:
        read_endpoints_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:2: auth.predict")
    assert "'open' or 'required'" in message
    assert "maybe" not in message
