"""``modelyard predictions tail|export``: the newest records as a table, a range as a file,
from the registry database or Parquet files; every mistake one ``error:`` line, exit 2."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from modelyard.monitoring.store import Columns, open_store
from modelyard.registry import Registry

NOW = datetime.now(UTC).replace(microsecond=0)
KINDS: Any = {"input.mean radius": "float", "output.label": "str"}


def record(i: int, minutes_ago: float, **changes: Any) -> dict[str, Any]:
    return {
        "time": NOW - timedelta(minutes=minutes_ago),
        "request_id": f"req-{i}",
        "instance": 0,
        "variant": "main",
        "model": "cancer-model",
        "version": 2,
        "status": 200,
        "latency_ms": 1.5,
        "input.mean radius": 14.0 + i,
        "output.label": f"label-{i}",
        **changes,
    }


def write(store: str, *records: dict[str, Any]) -> None:
    registry = Registry()
    try:
        open_store(store, registry).write("cancer", Columns.from_records(list(records), KINDS))
    finally:
        registry.close()


@pytest.fixture
def logged(workdir: Path) -> Path:
    """Six records of ``cancer`` in the working folder's registry: five answers (one of the
    challenger, two days old) and a failure."""
    write(
        "registry",
        record(0, 2 * 24 * 60, variant="challenger"),
        *(record(i, 60 - i) for i in range(1, 5)),
        record(
            5,
            1,
            status=422,
            error="payload does not fit the signature",
            version=None,
            **{"input.mean radius": None, "output.label": None},
        ),
    )
    return workdir


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip().splitlines()]


def test_tail_shows_the_newest_records_oldest_first(logged: Path, cli: Callable) -> None:
    result = cli("predictions", "tail", "cancer", "-n", "3")

    assert result.code == 0, result.err
    header, *rows = lines(result.out)
    assert header == "time (UTC) request id variant version status latency ms label / value"
    stamp = (NOW - timedelta(minutes=57)).strftime("%Y-%m-%d %H:%M:%S.000")
    assert rows == [
        f"{stamp} req-3 main 2 200 1.5 label-3",
        f"{(NOW - timedelta(minutes=56)).strftime('%Y-%m-%d %H:%M:%S.000')} req-4 main 2 200 1.5 "
        "label-4",
        f"{(NOW - timedelta(minutes=1)).strftime('%Y-%m-%d %H:%M:%S.000')} req-5 main 422 1.5 "
        "payload does not fit the signature",
    ]


def test_tail_of_an_endpoint_without_records_is_one_error_line(logged: Path, cli: Callable) -> None:
    result = cli("predictions", "tail", "iris")

    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: endpoint 'iris' has no logged predictions in the registry store: is "
        "logging.sample_rate (or keep_errors) set for it, and is this the store it writes to?\n"
    )


def test_tail_reads_a_parquet_store(workdir: Path, cli: Callable) -> None:
    write(f"parquet:{workdir / 'log'}", record(7, 3))

    result = cli("predictions", "tail", "cancer", "--store", f"parquet:{workdir / 'log'}")

    assert result.code == 0, result.err
    assert lines(result.out)[1].endswith("req-7 main 2 200 1.5 label-7")


def test_tail_takes_the_store_from_the_endpoints_file(workdir: Path, cli: Callable) -> None:
    write(f"parquet:{workdir / 'log'}", record(8, 3))
    (workdir / "endpoints.yaml").write_text(
        "endpoints:\n"
        "  - id: cancer\n"
        "    model: cancer-model@production\n"
        f"    logging: {{sample_rate: 1.0, store: 'parquet:{workdir / 'log'}'}}\n"
    )

    found = cli("predictions", "tail", "cancer", "--endpoints", "endpoints.yaml")
    missing = cli("predictions", "tail", "iris", "--endpoints", "endpoints.yaml")
    both = cli(
        "predictions", "tail", "cancer", "--endpoints", "endpoints.yaml", "--store", "registry"
    )

    assert found.code == 0, found.err
    assert "req-8" in found.out
    assert (missing.code, missing.err) == (
        2,
        "error: endpoints.yaml: no endpoint 'iris'; endpoints: cancer\n",
    )
    assert (both.code, both.err) == (  # --store wins, as in feedback and monitor
        2,
        "error: endpoint 'cancer' has no logged predictions in the registry store: is "
        "logging.sample_rate (or keep_errors) set for it, and is this the store it writes to?\n",
    )


def test_an_unknown_store_is_one_error_line(logged: Path, cli: Callable) -> None:
    result = cli("predictions", "tail", "cancer", "--store", "mysql")

    assert (result.code, result.out) == (2, "")
    assert result.err == "error: unknown log store 'mysql': expected registry or parquet:PATH\n"


def test_export_writes_the_last_24_hours_as_csv_and_says_how_many(
    logged: Path, cli: Callable
) -> None:
    result = cli("predictions", "export", "cancer", "--out", "last.csv")

    assert result.code == 0, result.err
    assert result.out == "wrote 5 records of cancer to last.csv (csv)\n"
    frame = pd.read_csv(logged / "last.csv")
    assert frame["request_id"].tolist() == ["req-1", "req-2", "req-3", "req-4", "req-5"]
    assert frame["input.mean radius"].tolist()[:2] == [15.0, 16.0]
    assert frame["error"].tolist()[-1] == "payload does not fit the signature"


def test_export_as_parquet_keeps_types_and_filters_variant_and_range(
    logged: Path, cli: Callable
) -> None:
    until = (NOW - timedelta(minutes=57)).isoformat()
    result = cli(
        "predictions", "export", "cancer", "--since", "3d", "--until", until,
        "--variant", "main", "--out", "part.data", "--format", "parquet",
    )  # fmt: skip

    assert result.code == 0, result.err
    assert result.out == "wrote 2 records of cancer to part.data (parquet)\n"
    frame = pd.read_parquet(logged / "part.data")
    assert frame["request_id"].tolist() == ["req-1", "req-2"]
    assert str(frame["time"].dtype).startswith("datetime64") and frame["time"].dt.tz is not None
    assert frame["input.mean radius"].dtype == "float64"


def test_export_of_an_empty_range_writes_an_empty_file(logged: Path, cli: Callable) -> None:
    result = cli("predictions", "export", "cancer", "--since", "30s", "--out", "none.csv")

    assert result.code == 0, result.err
    assert result.out == "wrote 0 records of cancer to none.csv (csv)\n"
    assert pd.read_csv(logged / "none.csv").columns[0] == "time"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "yesterday", "--out", "x.csv"],
            "--since: 'yesterday' is neither a duration (e.g. 24h, 30m, 7d) nor an ISO time "
            "(e.g. 2026-12-01T08:00:00Z)",
        ),
        (
            ["--since", "-1h", "--out", "x.csv"],
            "--since: a duration back from now must be positive, got '-1h'",
        ),
        (
            ["--out", "x.txt"],
            "--format: cannot tell the format from 'x.txt': name it .parquet or .csv, or pass "
            "--format parquet|csv",
        ),
        (["--out", "x.csv", "--format", "json"], "--format: expected parquet or csv, got 'json'"),
    ],
)
def test_export_refuses_a_bad_argument_in_one_line(
    logged: Path, cli: Callable, args: list[str], message: str
) -> None:
    result = cli("predictions", "export", "cancer", *args)

    assert (result.code, result.out, result.err) == (2, "", f"error: {message}\n")
    assert not (logged / "x.csv").exists()


def test_export_to_an_unwritable_place_is_one_error_line(logged: Path, cli: Callable) -> None:
    (logged / "blocked").write_text("a file, not a folder")

    result = cli("predictions", "export", "cancer", "--out", "blocked/x.csv")

    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("error: cannot write blocked/x.csv: ")
    assert len(result.err.splitlines()) == 1


def test_export_of_an_endpoint_without_records_is_one_error_line(
    logged: Path, cli: Callable
) -> None:
    result = cli("predictions", "export", "iris", "--out", "x.csv")

    assert result.code == 2
    assert result.err.startswith("error: endpoint 'iris' has no logged predictions")


def test_tail_follow_prints_records_written_after_it_started(logged: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "predictions", "tail", "cancer", "-n", "1",
         "--follow"],
        cwd=logged, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    printed: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [printed.put(line) for line in stdout], daemon=True).start()

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if text in printed.get(timeout=0.2):
                    return
            except queue.Empty:
                continue
        pytest.fail(f"{text!r} was not printed within 30 s")

    try:
        wait_for("req-5")
        write("registry", record(9, 0))
        wait_for("req-9")
        write("registry", record(10, 0.05))  # written after req-9, three seconds older
        wait_for("req-10")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
