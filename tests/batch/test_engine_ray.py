"""The Ray engine: the same chunks through the same ``write_chunk`` on a local Ray cluster
(one per module, started here) answer exactly as the local engine, rejects included, and a
run stopped early resumes on Ray."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray

import modelyard
from modelyard.batch import TooManyRejectsError
from modelyard.registry import Registry

pytestmark = pytest.mark.slow

CLI = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One local cluster for the module: each run finds it running and leaves it so."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def rows_with_rejects(cancer_rows: pd.DataFrame, tmp_path: Path) -> Path:
    rows = cancer_rows.copy()
    rows.loc[::10, "mean texture"] = np.nan  # 57 rows the pipeline refuses
    path = tmp_path / "rows.parquet"
    rows.to_parquet(path)
    return path


def _score(registry: Registry, input: Path, output: Path, **options: object) -> None:
    modelyard.score(
        "breast_cancer@production",
        input=input,
        output=output,
        keep=["id"],
        chunk_rows=64,
        registry=registry,
        **options,  # type: ignore[arg-type]
    )


def _rejects(output: Path) -> pd.DataFrame:
    return pd.read_parquet(output.with_name(output.stem + ".rejects.parquet"))


def test_ray_with_two_workers_answers_as_the_local_engine(
    registry: Registry, rows_with_rejects: Path, tmp_path: Path
) -> None:
    local, on_ray = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    _score(registry, rows_with_rejects, local, workers=1)
    _score(registry, rows_with_rejects, on_ray, engine="ray", workers=2)

    expected = pd.read_parquet(local)
    assert len(expected) == 569 - 57 and "probabilities.1" in expected.columns
    pd.testing.assert_frame_equal(pd.read_parquet(on_ray), expected)
    pd.testing.assert_frame_equal(_rejects(on_ray), _rejects(local))
    assert _rejects(on_ray)["row"].tolist() == list(range(0, 569, 10))
    assert ray.is_initialized()  # the run joined the module's cluster and left it running


def test_a_run_stopped_on_ray_resumes_on_ray(
    registry: Registry, rows_with_rejects: Path, tmp_path: Path
) -> None:
    local, on_ray = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    _score(registry, rows_with_rejects, local, workers=1)
    with pytest.raises(TooManyRejectsError, match="stopped: 13 rows rejected"):
        _score(registry, rows_with_rejects, on_ray, engine="ray", workers=2, max_rejects=10)
    assert not on_ray.exists()

    _score(registry, rows_with_rejects, on_ray, engine="ray", workers=2, resume=True)

    pd.testing.assert_frame_equal(pd.read_parquet(on_ray), pd.read_parquet(local))
    pd.testing.assert_frame_equal(_rejects(on_ray), _rejects(local))


def test_an_address_without_the_ray_engine_is_refused(cli: CLI, rows_with_rejects: Path) -> None:
    code, _, err = cli(
        "batch", "breast_cancer@production", "--input", str(rows_with_rejects),
        "--output", str(rows_with_rejects.parent / "o.parquet"), "--address", "auto",
    )  # fmt: skip
    assert (code, err) == (2, "error: --address: only with --engine ray\n")


def test_the_cli_scores_on_ray_and_prints_the_summary(
    cli: CLI, rows_with_rejects: Path, tmp_path: Path
) -> None:
    output = tmp_path / "scores.csv"
    code, out, _ = cli(
        "batch", "breast_cancer@production", "--input", str(rows_with_rejects),
        "--output", str(output), "--keep", "id", "--engine", "ray", "--workers", "2",
    )  # fmt: skip
    assert code == 0
    assert out.startswith(f"scored 512 rows, 57 rejected ({tmp_path / 'scores.rejects.csv'}) in ")
    assert pd.read_csv(output)["id"].tolist() == [i for i in range(569) if i % 10]
