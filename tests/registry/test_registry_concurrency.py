"""Several processes at once, and a process killed mid-registration.

Real processes (spawned, so each opens its own connections), on a real SQLite file and on
PostgreSQL: the numbering must come out 1..N with nothing lost or doubled.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest
from regtools import register_all, register_but_hang_at_commit, wait_for

from modelyard.core.errors import NotFoundError
from modelyard.package.io import package_digest
from modelyard.registry import Registry

Build = Callable[..., Path]

PROCESSES = 4
VERSIONS_EACH = 5


def test_concurrent_registrations_number_exactly_one_to_n(
    registry_url: str, artifacts: str, package: Build
) -> None:
    # Tables exist before the race; the model row does not, so the first registrations also
    # race to create it.
    Registry(registry_url, artifacts).close()
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    batches = [[package("fraud") for _ in range(VERSIONS_EACH)] for _ in range(PROCESSES)]
    workers = [
        context.Process(target=register_all, args=(registry_url, artifacts, batch, start, results))
        for batch in batches
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    claimed = sorted(number for outcome in outcomes for number, _ in outcome)
    total = PROCESSES * VERSIONS_EACH
    assert claimed == list(range(1, total + 1))
    stored = {v.version: v.digest for v in Registry(registry_url, artifacts).list_versions("fraud")}
    assert sorted(stored) == list(range(1, total + 1))
    for outcome in outcomes:
        for number, folder in outcome:
            assert stored[number] == package_digest(Path(folder))


def test_a_registration_killed_before_commit_leaves_nothing_visible(
    registry_url: str, artifacts: str, package: Build, tmp_path: Path
) -> None:
    folder = package("fraud")
    flag = tmp_path / "about-to-commit"
    context = multiprocessing.get_context("spawn")
    worker = context.Process(
        target=register_but_hang_at_commit, args=(registry_url, artifacts, folder, flag)
    )
    worker.start()
    wait_for(flag)
    # The artifact is fully stored and the row is written, but not committed.
    assert (Path(artifacts) / "packages" / package_digest(folder) / "manifest.json").is_file()
    worker.kill()
    worker.join(timeout=30)
    assert worker.exitcode is not None and worker.exitcode < 0

    registry = Registry(registry_url, artifacts)
    with pytest.raises(NotFoundError, match=r"^no model 'fraud'; models: \(none\)$"):
        registry.get("fraud")
    assert registry.list_models() == []
    first = registry.register(folder)
    assert first.version == 1
    assert registry.fetch(first).is_dir()
    assert registry.register(package("fraud")).version == 2
    registry.close()
