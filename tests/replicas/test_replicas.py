"""Two ``modelyard serve`` processes on one PostgreSQL registry and one S3 artifact store
behave as one service: aliases, rollouts, bandit statistics, the prediction log and tokens
are shared; a replica that loses the database keeps serving."""

from __future__ import annotations

import json
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import fsspec
import httpx
import pytest
import yaml
from replicatools import TcpLink, replicas, start_replica
from sqlalchemy import make_url

from modelyard.demo import Demo, prepare
from modelyard.monitoring.store import open_store
from modelyard.package.io import read_manifest, write_manifest
from modelyard.registry import Registry
from s3tools import S3Server
from serving.servertools import RunningServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RELOAD_S = 1.0
LOAD_S = 4.0
"""Beyond the reload interval, the time a replica may take to fetch, load and warm a version
on this shared machine."""
DEADLINE_S = 30.0
MODEL = "breast_cancer"
LOGGED = {"sample_rate": 1.0, "flush_every": 0.1}
VARIANTS = [f"{MODEL}@production", f"{MODEL}:2"]
ENDPOINTS: list[dict[str, Any]] = [
    {"id": "cancer", "model": f"{MODEL}@live", "logging": LOGGED},
    {"id": "guarded", "model": f"{MODEL}:1", "auth": {"predict": "required"}},
    {
        "id": "ab",
        "model": VARIANTS[0],
        "traffic": {"strategy": "ab", "variants": dict(zip("ab", VARIANTS, strict=True))},
    },
    {
        "id": "bandit",
        "model": VARIANTS[0],
        "traffic": {"strategy": "bandit", "variants": VARIANTS, "algorithm": "thompson"},
    },
    {
        "id": "canary",
        "model": f"{MODEL}@canary-home",
        "traffic": {
            "strategy": "canary",
            "candidate": VARIANTS[1],
            "steps": [10, 50, 90],
            "interval": "1s",
            "min_requests": 10,
        },
    },
]


@dataclass
class Site:
    """The shared registry, two replicas on it, and what the tests need to reach them."""

    demo: Demo
    registry: Registry
    workdir: Path
    admin: dict[str, str]
    replicas: list[RunningServer]
    good: int
    """A version of its own bytes (never loaded before the alias test moves to it)."""
    broken: int
    """A version whose objects were removed from the bucket."""


def _version_of_other_bytes(registry: Registry, workdir: Path, tag: str) -> int:
    """Version 1's package with one more tag: another digest, the same model."""
    folder = workdir / tag
    shutil.copytree(registry.fetch(f"{MODEL}:1"), folder)
    manifest = read_manifest(folder)
    write_manifest(folder, manifest.model_copy(update={"tags": {**manifest.tags, "copy": tag}}))
    return registry.register(folder).version


@pytest.fixture(scope="module")
def site(
    postgres_url: str, s3: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("replicas")
    bucket = s3.new_bucket()
    demo = prepare(workdir / "demo", Registry(postgres_url, bucket, cache_dir=workdir / "cache"))
    registry = Registry(postgres_url, bucket, cache_dir=workdir / "cache")
    registry.register(registry.fetch(f"{MODEL}:1"))  # version 2: the same bytes
    good = _version_of_other_bytes(registry, workdir, "good")
    broken = registry.get(f"{MODEL}:{_version_of_other_bytes(registry, workdir, 'broken')}")
    fsspec.core.url_to_fs(bucket)[0].rm(broken.artifact_uri, recursive=True)
    for alias in ("live", "canary-home"):
        registry.set_alias(MODEL, alias, 1, reason="replica tests")
    token, _ = registry.tokens.create("replica-tests-admin", "admin")
    path = workdir / "endpoints.yaml"
    path.write_text(yaml.safe_dump({"endpoints": ENDPOINTS}, sort_keys=False))
    try:
        with replicas(2, path, workdir, postgres_url, bucket, RELOAD_S) as running:
            yield Site(
                demo,
                registry,
                workdir,
                {"Authorization": f"Bearer {token}"},
                running,
                good,
                broken.version,
            )
    finally:
        registry.close()


def _predict(
    client: httpx.Client, site: Site, replica: RunningServer, endpoint: str, **headers: str
) -> httpx.Response:
    return client.post(
        f"{replica.url}/endpoints/{endpoint}/predict",
        json={"instances": [site.demo.cancer_record]},
        headers=headers,
    )


def _status(replica: RunningServer, endpoint: str) -> dict[str, Any]:
    response = httpx.get(f"{replica.url}/endpoints/{endpoint}/rollout", timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def _ready(replica: RunningServer) -> bool:
    return httpx.get(f"{replica.url}/v2/health/ready", timeout=30).status_code == 200


def _until(what: str, check: Callable[[], Any], deadline_s: float = DEADLINE_S) -> Any:
    """Poll ``check`` until it answers something true; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        answer = check()
        if answer:
            return answer
        assert time.monotonic() < deadline, f"{what}: not within {deadline_s} s"
        time.sleep(0.02)


def _move_and_time(site: Site, client: httpx.Client, version: int) -> list[float]:
    """Move ``@live`` to ``version``; the seconds until each replica answered with it."""
    site.registry.set_alias(MODEL, "live", version, reason="replica propagation")
    moved = time.monotonic()
    delays: dict[str, float] = {}
    while len(delays) < len(site.replicas):
        for replica in site.replicas:
            if replica.url in delays:
                continue
            answer = _predict(client, site, replica, "cancer")
            assert answer.status_code == 200, answer.text  # no request fails during a switch
            if answer.headers["x-model-version"] == str(version):
                delays[replica.url] = time.monotonic() - moved
        assert time.monotonic() - moved < RELOAD_S + LOAD_S, f"{delays} after the move"
    return list(delays.values())


def test_an_alias_move_reaches_every_replica_within_the_reload_interval(
    site: Site, record_property: Callable[[str, object], None]
) -> None:
    with httpx.Client(timeout=30) as client:
        # to bytes no replica has loaded (fetched from the bucket), back, and again
        delays = [
            delay
            for version in (site.good, 1, site.good, 1)
            for delay in _move_and_time(site, client, version)
        ]
    record_property("alias_propagation_s", delays)
    print(
        f"alias propagation over {len(delays)} replica switches: median "
        f"{statistics.median(delays):.2f} s, max {max(delays):.2f} s "
        f"(reload interval {RELOAD_S} s)"
    )
    assert max(delays) < RELOAD_S + LOAD_S


def test_every_replicas_predictions_land_in_one_log(site: Site) -> None:
    sent = {
        f"replica-{index}-{n}": replica
        for index, replica in enumerate(site.replicas)
        for n in range(10)
    }
    with httpx.Client(timeout=30) as client:
        for request_id, replica in sent.items():
            answer = _predict(client, site, replica, "cancer", **{"x-request-id": request_id})
            assert answer.status_code == 200, answer.text
    store = open_store("registry", site.registry)

    def logged() -> set[str]:
        found = set(store.read("cancer")["request_id"])
        return found if set(sent) <= found else set()

    _until("both replicas' requests in the log", logged)


def test_a_token_created_once_works_on_every_replica(site: Site) -> None:
    token, _ = site.registry.tokens.create("replica-tests-late", "predict")
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=30) as client:

        def statuses() -> set[int]:
            return {_predict(client, site, r, "guarded", **bearer).status_code
                    for r in site.replicas}  # fmt: skip

        _until("the new token accepted by both", lambda: statuses() == {200}, RELOAD_S + LOAD_S)
        site.registry.tokens.revoke("replica-tests-late")
        _until("the revoked token refused by both", lambda: statuses() == {401}, RELOAD_S + LOAD_S)
        refused = _predict(client, site, site.replicas[1], "guarded", **bearer)
    assert refused.headers["www-authenticate"] == 'Bearer realm="modelyard", error="invalid_token"'


def test_a_rollout_paused_on_one_replica_is_paused_on_all_with_every_count(site: Site) -> None:
    with httpx.Client(timeout=30) as client:
        for replica in site.replicas:
            for _ in range(30):
                assert _predict(client, site, replica, "ab").status_code == 200
        paused = client.post(
            f"{site.replicas[0].url}/admin/rollouts/ab/pause",
            json={"reason": "one replica's button"},
            headers=site.admin,
        )
    assert paused.status_code == 200, paused.text

    def settled(replica: RunningServer) -> dict[str, Any] | None:
        document = _status(replica, "ab")
        counted = sum(v["requests"] for v in document["variants"])
        return document if counted == 60 and document["state"] == "paused" else None

    for replica in site.replicas:
        document = _until(f"pause and 60 requests seen by {replica.url}", partial(settled, replica))
        assert document["history"][-1]["actor"] == "replica-tests-admin"
        assert document["history"][-1]["reason"] == "one replica's button"


def test_bandit_statistics_are_shared(site: Site) -> None:
    first, second = site.replicas
    with httpx.Client(timeout=30) as client:
        answered = [_predict(client, site, first, "bandit") for _ in range(40)]
        _status(first, "bandit")  # its status route writes what it answered, as a tick does
        rewards = [
            {"request_id": answer.headers["x-request-id"], "reward": 1.0}
            for answer in answered
            if answer.headers["x-variant"] == VARIANTS[1]
        ]
        taken = client.post(f"{second.url}/endpoints/bandit/feedback", json=rewards)
    assert taken.status_code == 200, taken.text
    wanted = {VARIANTS[0]: 0, VARIANTS[1]: len(rewards)}

    def shared(replica: RunningServer) -> bool:
        document = _status(replica, "bandit")
        return {v["name"]: v["rewards"] for v in document["variants"]} == wanted

    for replica in site.replicas:
        _until(f"the rewards given to one replica seen by {replica.url}", partial(shared, replica))


def test_a_canary_step_taken_on_one_replica_is_taken_on_all(site: Site) -> None:
    first, second = site.replicas
    with httpx.Client(timeout=30) as client:

        def advanced() -> bool:
            for _ in range(10):
                assert _predict(client, site, first, "canary").status_code == 200
            return int(_status(first, "canary")["step"]) >= 1

        _until("the canary's first step", advanced)
    seen = _until("the step seen by the idle replica", lambda: _status(second, "canary")["step"])
    assert seen >= 1
    weights = [
        {v["name"]: v["weight"] for v in _status(replica, "canary")["variants"]}
        for replica in site.replicas
    ]
    assert weights[0] == weights[1]
    assert weights[1]["candidate"] >= 50


def test_a_replica_that_cannot_load_a_required_version_is_not_ready(site: Site) -> None:
    site.registry.set_alias(MODEL, "live", site.broken, reason="its package is gone")
    try:
        with httpx.Client(timeout=30) as client:

            def unready(replica: RunningServer) -> httpx.Response | None:
                answer = client.get(f"{replica.url}/v2/health/ready")
                return answer if answer.status_code == 503 else None

            refusals = [
                _until(f"{replica.url} not ready", partial(unready, replica), RELOAD_S + LOAD_S)
                for replica in site.replicas
            ]
            still = [_predict(client, site, replica, "cancer") for replica in site.replicas]
    finally:
        site.registry.set_alias(MODEL, "live", 1, reason="back")
    expected = (
        f"endpoint 'cancer' (variant 'primary') cannot load the version {MODEL}@live names "
        "now; it serves version 1 until it can (the server log says why)"
    )
    for refusal in refusals:
        assert refusal.json() == {"ready": False, "error": expected}
    assert [(a.status_code, a.headers["x-model-version"]) for a in still] == [(200, "1")] * 2
    for replica in site.replicas:
        _until(f"{replica.url} ready again", partial(_ready, replica))
    assert f"{MODEL}:{site.broken}" in site.replicas[0].log_text()  # the log says why


def _outage_lines(replica: RunningServer, logger: str) -> list[dict[str, Any]]:
    """The replica's log records of ``logger`` about the registry being unreachable."""
    records = [json.loads(line) for line in replica.log_text().splitlines() if line[:1] == "{"]
    return [
        record
        for record in records
        if record["logger"] == logger and record["message"].startswith("registry unreachable")
    ]


def test_a_replica_that_loses_the_database_keeps_serving_and_stays_ready(
    site: Site, postgres_url: str
) -> None:
    database = make_url(postgres_url)
    link = TcpLink((database.host or "127.0.0.1", database.port or 5432))
    through_link = database.set(host="127.0.0.1", port=link.port)
    path = site.workdir / "alone.yaml"
    alone = [spec for spec in ENDPOINTS if spec["id"] in ("cancer", "guarded", "ab")]
    path.write_text(yaml.safe_dump({"endpoints": alone}, sort_keys=False))
    replica = start_replica(
        path,
        site.workdir,
        through_link.render_as_string(hide_password=False),
        site.registry.artifacts_url,
        RELOAD_S,
    )
    try:
        with httpx.Client(timeout=30) as client:
            assert _predict(client, site, replica, "cancer").status_code == 200
            counted = sum(v["requests"] for v in _status(site.replicas[0], "ab")["variants"])
            link.cut()
            cut_at = time.monotonic()
            answers, readiness = [], []
            while time.monotonic() - cut_at < 4 * RELOAD_S:
                answers.append(_predict(client, site, replica, "cancer").status_code)
                answers.append(_predict(client, site, replica, "ab").status_code)
                readiness.append(client.get(f"{replica.url}/v2/health/ready").status_code)
            outage_s = time.monotonic() - cut_at
            polls = _outage_lines(replica, "modelyard.serving.reload")
            ticks = _outage_lines(replica, "modelyard.serving.rollouts")
            link.restore()
            # the counts of the outage reach the database, and aliases are followed again
            during = answers.count(200) // 2
            _until(
                "the outage's counts written",
                lambda: (
                    sum(v["requests"] for v in _status(site.replicas[0], "ab")["variants"])
                    == counted + during
                ),
            )
            site.registry.set_alias(MODEL, "live", site.good, reason="after the outage")
            try:
                _until(
                    "the replica following aliases again",
                    lambda: (
                        _predict(client, site, replica, "cancer").headers["x-model-version"]
                        == str(site.good)
                    ),
                )
            finally:
                site.registry.set_alias(MODEL, "live", 1, reason="back")
    finally:
        replica.stop()
        link.cut()
    assert set(answers) == {200}
    assert set(readiness) == {200}
    # once per interval (not per request, nor per endpoint), one line each, no traceback
    assert 1 <= len(polls) <= outage_s / RELOAD_S + 1
    assert 1 <= len(ticks) <= outage_s / 1.0 + 1  # `modelyard serve` ticks rollouts every 1 s
    for record in polls + ticks:
        assert "exception" not in record
        assert record["error"].startswith("(psycopg.OperationalError)")
    rollout_records = [
        json.loads(line)
        for line in replica.log_text().splitlines()
        if '"modelyard.serving.rollouts"' in line
    ]
    assert [r for r in rollout_records if r["level"] == "error"] == ticks
    # no logger writes a traceback for the outage: the token refresh says it in one line too
    records = [json.loads(line) for line in replica.log_text().splitlines() if line[:1] == "{"]
    assert [r["logger"] for r in records if "exception" in r] == []
    refreshes = [r for r in records if r["logger"] == "modelyard.serving.auth"]
    assert refreshes and all(r["error"].startswith("(psycopg.OperationalError)") for r in refreshes)
