"""The local engine: several workers keep input order; a run killed mid-way resumes from its
last recorded chunk with no row missing and none scored twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from batchtools import Models

import modelyard
from modelyard.registry import Registry

KILL_DEADLINE_S = 120


def test_several_workers_answer_in_input_order(
    registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    # Row groups of 50 and chunks of 37: most chunks start and end inside a row group.
    cancer_rows.to_parquet(tmp_path / "rows.parquet", row_group_size=50)
    outputs = {}
    for workers in (1, 2):
        output = tmp_path / f"scores-{workers}.parquet"
        modelyard.score(
            "breast_cancer@production",
            input=tmp_path / "rows.parquet",
            output=output,
            keep=["id"],
            chunk_rows=37,
            workers=workers,
            registry=registry,
        )
        outputs[workers] = pd.read_parquet(output)
    assert outputs[2]["id"].tolist() == list(range(569))
    pd.testing.assert_frame_equal(outputs[1], outputs[2])
    whole = modelyard.score(
        "breast_cancer@production",
        input=tmp_path / "rows.parquet",
        output=tmp_path / "scores-whole.parquet",
        keep=["id"],
        registry=registry,
    )
    assert whole.rows == 569
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "scores-whole.parquet"), outputs[1])


def _progress(path: Path) -> dict[str, int] | None:
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def test_a_killed_run_resumes_without_a_missing_or_repeated_row(
    models: Models, registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    big = pd.concat([cancer_rows.drop(columns="id")] * 176, ignore_index=True)
    big = big.assign(id=range(len(big)))  # 100,144 rows
    big.to_parquet(tmp_path / "rows.parquet", row_group_size=10_000)
    output = tmp_path / "scores.parquet"
    progress_file = tmp_path / "scores.progress.json"
    command = [
        sys.executable, "-m", "modelyard.cli", "--registry", models.demo.registry_url,
        "--artifacts", models.demo.artifacts, "batch", "breast_cancer@production",
        "--input", str(tmp_path / "rows.parquet"), "--output", str(output),
        "--keep", "id", "--chunk-rows", "100", "--workers", "1",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + KILL_DEADLINE_S
    while time.monotonic() < deadline and process.poll() is None:
        recorded = _progress(progress_file)
        if recorded and recorded["chunks_done"] >= 5:
            break
        time.sleep(0.02)  # polling the progress file, bounded by the deadline
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    recorded = _progress(progress_file)
    assert recorded is not None and 5 <= recorded["chunks_done"] < 1002
    assert not output.exists()

    first_report: list[int] = []
    summary = modelyard.score(
        "breast_cancer@production",
        input=tmp_path / "rows.parquet",
        output=output,
        keep=["id"],
        chunk_rows=100,
        workers=1,
        resume=True,
        registry=registry,
        on_rows=lambda done, total: first_report.append(done) if not first_report else None,
    )
    # the first chunk this run scored is the one after the last recorded
    assert first_report == [recorded["rows_read"] + 100]
    assert summary.rows == len(big)
    scored = pd.read_parquet(output)
    assert scored["id"].tolist() == list(range(len(big)))
    assert not progress_file.exists() and not (tmp_path / "scores.parts").exists()
