"""What a user gets wrong is said in one ``error:`` line (exit 2), before any row is scored;
refused rows past ``--max-rejects`` stop the run; a mismatched ``--resume`` is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CLI = Callable[..., tuple[int, str, str]]


@pytest.fixture
def rows_file(cancer_rows: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "rows.parquet"
    cancer_rows.to_parquet(path)
    return path


def _one_error(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and out == ""
    return lines[0]


def test_a_scored_file_ends_with_a_one_line_summary(cli: CLI, rows_file: Path) -> None:
    out_path = rows_file.parent / "scores.csv"
    code, out, err = cli(
        "batch",
        "breast_cancer@production",
        "--input",
        str(rows_file),
        "--output",
        str(out_path),
        "--keep",
        "id",
        "--workers",
        "1",
    )
    assert code == 0, err
    assert out.startswith("scored 569 rows in ") and out.strip().endswith(f"→ {out_path}")
    assert " rows/s) " in out and len(out.strip().splitlines()) == 1
    assert pd.read_csv(out_path)["id"].tolist() == list(range(569))


def test_missing_input(cli: CLI, tmp_path: Path) -> None:
    line = _one_error(
        cli(
            "batch",
            "breast_cancer@production",
            "--input",
            str(tmp_path / "nope.parquet"),
            "--output",
            str(tmp_path / "o.parquet"),
        )
    )
    assert line == f"error: input {tmp_path / 'nope.parquet'}: no such file or folder"


def test_unknown_format(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "rows.txt").write_text("1,2,3\n")
    line = _one_error(
        cli(
            "batch",
            "breast_cancer@production",
            "--input",
            str(tmp_path / "rows.txt"),
            "--output",
            str(tmp_path / "o.parquet"),
        )
    )
    assert line == (
        f"error: input {tmp_path / 'rows.txt'}: unknown format (.txt): "
        "expected .parquet, .csv or .jsonl files"
    )


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("nosuchmodel@production", "nosuchmodel"),
        ("breast_cancer:99", "99"),
        ("breast-cancer", "expected name@alias, name:VERSION, or an endpoint id with --endpoints"),
    ],
)
def test_unknown_ref(cli: CLI, rows_file: Path, ref: str, expected: str) -> None:
    line = _one_error(
        cli("batch", ref, "--input", str(rows_file), "--output", str(rows_file) + ".out")
    )
    assert expected in line


def test_unknown_endpoint_id(cli: CLI, rows_file: Path, models) -> None:  # type: ignore[no-untyped-def]
    line = _one_error(
        cli(
            "batch",
            "nope",
            "--endpoints",
            str(models.endpoints_file),
            "--input",
            str(rows_file),
            "--output",
            str(rows_file) + ".out",
        )
    )
    assert "has no endpoint 'nope'" in line and "breast-cancer" in line


def test_a_column_missing_from_the_input(
    cli: CLI, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    cancer_rows.drop(columns="mean radius").to_csv(tmp_path / "rows.csv", index=False)
    line = _one_error(
        cli(
            "batch",
            "breast_cancer@production",
            "--input",
            str(tmp_path / "rows.csv"),
            "--output",
            str(tmp_path / "o.parquet"),
        )
    )
    assert line == "error: the input has no column 'mean radius' (the model's signature needs it)"
    assert not (tmp_path / "o.parquet").exists()


def test_a_bad_keep_column(cli: CLI, rows_file: Path) -> None:
    line = _one_error(
        cli(
            "batch",
            "breast_cancer@production",
            "--input",
            str(rows_file),
            "--output",
            str(rows_file.parent / "o.parquet"),
            "--keep",
            "id,customer",
        )
    )
    assert line.startswith("error: --keep: the input has no column 'customer'; it has: mean")


def test_max_rejects_stops_the_run_early(
    cli: CLI, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    rows = cancer_rows.copy()
    rows.loc[::10, "mean texture"] = np.nan  # 57 bad rows, 6 or 7 per chunk of 64
    rows.to_parquet(tmp_path / "rows.parquet")
    line = _one_error(
        cli(
            "batch",
            "breast_cancer@production",
            "--input",
            str(tmp_path / "rows.parquet"),
            "--output",
            str(tmp_path / "o.parquet"),
            "--keep",
            "id",
            "--chunk-rows",
            "64",
            "--workers",
            "1",
            "--max-rejects",
            "10",
        )
    )
    rejects_path = tmp_path / "o.rejects.parquet"
    assert line == (
        f"error: stopped: 13 rows rejected, more than --max-rejects 10 "
        f"(see {rejects_path}; --resume continues)"
    )
    assert pd.read_parquet(rejects_path)["row"].tolist() == list(range(0, 128, 10))
    assert not (tmp_path / "o.parquet").exists()


def test_a_resume_with_another_chunk_size_or_input_is_refused(
    cli: CLI, rows_file: Path, cancer_rows: pd.DataFrame
) -> None:
    out = str(rows_file.parent / "o.parquet")
    progress = rows_file.parent / "o.progress.json"
    progress.write_text(
        '{"input": "x", "chunk_rows": 64, "chunks_done": 1, "rows_read": 64, '
        '"rows_written": 64, "rejects": 0}'
    )
    args = ("batch", "breast_cancer@production", "--input", str(rows_file), "--output", out)
    line = _one_error(cli(*args, "--resume", "--chunk-rows", "64"))
    assert line == (
        f"error: --resume: the input differs from the interrupted run's (recorded in "
        f"{progress}); run without --resume to start over"
    )
    from modelyard.batch.sources import Source

    fingerprint = Source(str(rows_file), images=False).fingerprint()
    progress.write_text(progress.read_text().replace('"x"', f'"{fingerprint}"'))
    line = _one_error(cli(*args, "--resume", "--chunk-rows", "100"))
    assert line == (
        "error: --resume: --chunk-rows 100 differs from the interrupted run's 64; "
        "pass --chunk-rows 64"
    )


@pytest.mark.parametrize("option", [{"chunk_rows": 0}, {"workers": 0}, {"max_rejects": -1}])
def test_the_python_function_refuses_counts_below_their_minimum(
    rows_file: Path, option: dict[str, int]
) -> None:
    import modelyard
    from modelyard.core.errors import ConfigError

    message = "--chunk-rows and --workers must be at least 1, --max-rejects at least 0"
    with pytest.raises(ConfigError, match=f"^{message}$"):
        modelyard.score(
            "breast_cancer@production", input=rows_file, output=rows_file.parent / "o.parquet",
            **option,
        )  # fmt: skip
