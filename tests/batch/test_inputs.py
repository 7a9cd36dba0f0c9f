"""Every input kind (Parquet, CSV, JSON Lines; file, folder, glob; fsspec memory://) and
both output forms give the same answers, in input order."""

from __future__ import annotations

from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pytest
from batchtools import Models
from sklearn.datasets import load_iris

import modelyard
from modelyard.core.errors import PayloadError
from modelyard.pipeline import Endpoint
from modelyard.registry import Registry


def _write(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)


def _expected(models: Models, registry: Registry, frame: pd.DataFrame) -> pd.DataFrame:
    """What the endpoint answers in process for the same rows."""
    endpoint = Endpoint.from_yaml(models.endpoints_file, "breast-cancer", registry)
    features = frame.drop(columns="id")
    answers = endpoint.predict({"instances": features.to_dict("records")})["predictions"]
    endpoint.close()
    return pd.DataFrame(
        {
            "id": frame["id"].to_numpy(),
            "label": [a["label"] for a in answers],
            "score": [a["score"] for a in answers],
            "probabilities.0": [a["probabilities"]["0"] for a in answers],
            "probabilities.1": [a["probabilities"]["1"] for a in answers],
            "model_name": "breast_cancer",
            "model_version": 1,
        }
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_a_file_of_each_format_is_answered_as_the_endpoint_answers(
    models: Models, registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    source = tmp_path / f"rows{suffix}"
    _write(cancer_rows, source)
    summary = modelyard.score(
        "breast_cancer@production",
        input=source,
        output=tmp_path / "scores.parquet",
        keep=["id"],
        chunk_rows=100,
        workers=1,
        registry=registry,
    )
    got = pd.read_parquet(tmp_path / "scores.parquet")
    pd.testing.assert_frame_equal(got, _expected(models, registry, cancer_rows), check_dtype=False)
    assert (summary.rows, summary.rejects) == (569, 0)
    assert not (tmp_path / "scores.rejects.parquet").exists()
    assert not (tmp_path / "scores.parts").exists()
    assert not (tmp_path / "scores.progress.json").exists()


@pytest.mark.parametrize("pattern", ["parts", "parts/*.csv"])
def test_a_folder_or_glob_is_read_in_name_order(
    models: Models, registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path, pattern: str
) -> None:
    (tmp_path / "parts").mkdir()
    for i, start in enumerate(range(0, 569, 200)):
        _write(cancer_rows.iloc[start : start + 200], tmp_path / "parts" / f"p{i}.csv")
    (tmp_path / "parts" / "_SUCCESS").write_text("")
    modelyard.score(
        "breast_cancer:1",
        input=str(tmp_path / pattern),
        output=tmp_path / "scores.csv",
        keep=["id"],
        chunk_rows=64,
        workers=1,
        registry=registry,
    )
    got = pd.read_csv(tmp_path / "scores.csv", dtype={"probabilities.0": float})
    expected = _expected(models, registry, cancer_rows)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=1e-12)


def test_an_fsspec_url_is_read(
    models: Models, registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    with fsspec.open("memory://batch-in/rows.parquet", "wb") as file:
        cancer_rows.to_parquet(file)
    modelyard.score(
        "breast_cancer@production",
        input="memory://batch-in/",
        output=f"{tmp_path}/out/",
        keep=["id"],
        chunk_rows=250,
        workers=1,
        registry=registry,
    )
    parts = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert parts == ["part-000000.parquet", "part-000001.parquet", "part-000002.parquet"]
    got = pd.read_parquet(tmp_path / "out")
    pd.testing.assert_frame_equal(got, _expected(models, registry, cancer_rows), check_dtype=False)


def test_an_endpoint_is_scored_with_its_pipeline_override(
    models: Models, registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    cancer_rows.to_parquet(tmp_path / "rows.parquet")
    modelyard.score(
        "cancer-labels",
        endpoints=models.endpoints_file,
        input=tmp_path / "rows.parquet",
        output=tmp_path / "scores.parquet",
        workers=1,
        registry=registry,
    )
    got = pd.read_parquet(tmp_path / "scores.parquet")
    assert list(got.columns) == ["label", "score", "model_name", "model_version"]
    expected = _expected(models, registry, cancer_rows)
    assert got["label"].tolist() == expected["label"].tolist()


def test_a_model_trained_on_numpy_is_scored_by_its_signature_columns(
    registry: Registry, tmp_path: Path
) -> None:
    iris = load_iris()
    version = registry.get("iris_np@production")
    names = [column.name for column in version.manifest.signature.columns]
    pd.DataFrame(iris.data, columns=names).to_parquet(tmp_path / "iris.parquet")
    modelyard.score(
        "iris_np@production",
        input=tmp_path / "iris.parquet",
        output=tmp_path / "iris-scores.parquet",
        workers=1,
        registry=registry,
    )
    got = pd.read_parquet(tmp_path / "iris-scores.parquet")
    assert [c for c in got.columns if c.startswith("probabilities.")] == [
        "probabilities.0",
        "probabilities.1",
        "probabilities.2",
    ]
    assert (got["label"].to_numpy() == iris.target).mean() > 0.9
    assert np.allclose(got.filter(like="probabilities.").sum(axis=1), 1.0)
    assert set(got["model_name"]) == {"iris_np"} and set(got["model_version"]) == {1}


def test_an_endpoint_refusing_rows_outside_the_training_profile_rejects_them(
    models: Models, registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    rows = cancer_rows.copy()
    rows.loc[42, "mean radius"] = 1000.0  # the training data's largest is about 28
    rows.to_csv(tmp_path / "rows.csv", index=False)
    summary = modelyard.score(
        "cancer-strict",
        endpoints=models.endpoints_file,
        input=tmp_path / "rows.csv",
        output=tmp_path / "scores.csv",
        keep=["id"],
        workers=1,
        registry=registry,
    )
    endpoint = Endpoint.from_yaml(models.endpoints_file, "cancer-strict", registry)
    refused: dict[int, str] = {}  # the endpoint's answer to each row sent alone
    for i, record in enumerate(rows.drop(columns="id").to_dict("records")):
        try:
            endpoint.predict({"instances": [record]})
        except PayloadError as error:
            refused[i] = str(error)
    endpoint.close()
    assert 42 in refused and "/instances/0/mean radius" in refused[42]
    assert (summary.rows, summary.rejects) == (569 - len(refused), len(refused))
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv")
    assert dict(zip(rejects["row"], rejects["error"], strict=True)) == refused
    assert rejects["id"].tolist() == sorted(refused)
    scored_ids = pd.read_csv(tmp_path / "scores.csv")["id"].tolist()
    assert scored_ids == [i for i in range(569) if i not in refused]


def test_a_folder_output_replaces_earlier_parts_and_keeps_other_files(
    registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    cancer_rows.to_parquet(tmp_path / "rows.parquet")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "README.txt").write_text("kept")
    for chunk_rows in (100, 300):  # 6 parts, then 2: the first run's parts are gone
        modelyard.score(
            "breast_cancer:1",
            input=tmp_path / "rows.parquet",
            output=folder,
            keep=["id"],
            chunk_rows=chunk_rows,
            workers=1,
            registry=registry,
        )
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["README.txt", "part-000000.parquet", "part-000001.parquet"]
    parts = [pd.read_parquet(folder / name, columns=["id"]) for name in names[1:]]
    assert pd.concat(parts)["id"].tolist() == list(range(569))


def test_a_kept_column_typed_differently_by_each_chunk_is_kept_as_text(
    registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    """In a CSV each chunk's types are read from its own rows: a note empty in the first
    chunk reads as numbers, as text in the next. The output holds them all, as text."""
    rows = cancer_rows.assign(note=[None] * 300 + ["checked"] * 269)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    modelyard.score(
        "breast_cancer@production",
        input=tmp_path / "rows.csv",
        output=tmp_path / "scores.parquet",
        keep=["id", "note"],
        chunk_rows=300,
        workers=1,
        registry=registry,
    )
    got = pd.read_parquet(tmp_path / "scores.parquet")
    assert got["id"].tolist() == list(range(569))
    assert got["note"].isna().sum() == 300
    assert set(got["note"].dropna()) == {"checked"}
