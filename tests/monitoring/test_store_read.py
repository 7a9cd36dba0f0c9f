"""``modelyard.predictions``: the log as a DataFrame, from the registry every function finds
by default or from Parquet files, over a range given as a duration or a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import modelyard
from modelyard.core.errors import ConfigError
from modelyard.monitoring.read import moment
from modelyard.monitoring.store import Columns, open_store
from modelyard.registry import Registry

NOW = datetime.now(UTC)


def records(*minutes_ago: float, variant: str = "main") -> Columns:
    """Records made ``minutes_ago`` before the moment of the call (not of the import: a long
    suite reaches this test many minutes after collecting it)."""
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "time": now - timedelta(minutes=ago),
            "request_id": f"{variant}-{ago:g}",
            "instance": 0,
            "variant": variant,
            "status": 200,
            "input.x": ago,
        }
        for ago in minutes_ago
    ]
    return Columns.from_records(rows, {"input.x": "float"})


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """The working folder's registry (``.modelyard/``), the one found by default."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELYARD_REGISTRY_URL", raising=False)
    monkeypatch.delenv("MODELYARD_ARTIFACTS", raising=False)
    registry = Registry()
    yield registry
    registry.close()


def test_the_default_is_the_last_24_hours_of_the_default_registry(here: Registry) -> None:
    open_store("registry", here).write("cancer", records(25 * 60, 90, 5))

    frame = modelyard.predictions("cancer")

    assert frame["request_id"].tolist() == ["main-90", "main-5"]
    assert frame["input.x"].dtype == "float64"


def test_since_and_until_take_durations_and_times_and_variant_filters(here: Registry) -> None:
    store = open_store("registry", here)
    store.write("cancer", records(50, 40, 30, 20))
    store.write("cancer", records(35, variant="challenger"))

    by_duration = modelyard.predictions("cancer", since="45m", until="25m", registry=here)
    by_time = modelyard.predictions(
        "cancer", since=datetime.now(UTC) - timedelta(minutes=45), until=None, variant="challenger"
    )

    assert by_duration["request_id"].tolist() == ["main-40", "challenger-35", "main-30"]
    assert by_time["request_id"].tolist() == ["challenger-35"]


def test_a_parquet_store_needs_no_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .modelyard/ here: opening a registry would fail
    store = f"parquet:{tmp_path / 'log'}"
    open_store(store, None).write("cancer", records(10))

    assert modelyard.predictions("cancer", store=store)["request_id"].tolist() == ["main-10"]
    assert not (tmp_path / ".modelyard").exists()


def test_an_iso_time_without_a_zone_is_utc() -> None:
    assert moment("2026-12-01T08:30:00", now=NOW, label="since") == datetime(
        2026, 12, 1, 8, 30, tzinfo=UTC
    )
    assert moment("2026-12-01T09:30:00+01:00", now=NOW, label="since") == datetime(
        2026, 12, 1, 8, 30, tzinfo=UTC
    )


def test_a_bad_range_is_a_config_error_naming_the_argument() -> None:
    with pytest.raises(ConfigError) as caught:
        modelyard.predictions("cancer", since="last week", store="parquet:memory://nothing")

    assert str(caught.value) == (
        "since: 'last week' is neither a duration (e.g. 24h, 30m, 7d) nor an ISO time "
        "(e.g. 2026-12-01T08:00:00Z)"
    )
