"""On a terminal, a batch run shows a bar with rows and rows/s while it scores, then the
one-line summary; off a terminal (every other test) only the summary is printed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from batchtools import Models

from cli.test_progress import _terminal_output


def test_a_terminal_sees_the_bar_then_the_summary(
    models: Models, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    big = pd.concat([cancer_rows] * 352, ignore_index=True)  # 200,288 rows
    big.to_parquet(tmp_path / "rows.parquet")
    args = [
        "--registry", models.demo.registry_url, "--artifacts", models.demo.artifacts,
        "batch", "breast_cancer@production", "--input", "rows.parquet",
        "--output", "scores.parquet", "--chunk-rows", "2000", "--workers", "1",
    ]  # fmt: skip
    chunks, status = _terminal_output(args, tmp_path)
    text = "".join(part for _, part in chunks)
    assert status == 0, text
    summary = text.index("scored 200288 rows in ")
    assert text.index("scoring") < text.index(" rows/s") < summary
    assert text.rstrip().endswith("→ scores.parquet")
