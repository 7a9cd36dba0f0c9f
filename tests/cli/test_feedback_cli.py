"""``modelyard feedback ENDPOINT --file``: labels for logged requests, from CSV or Parquet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from modelyard.registry import Registry
from monitoring.labeltools import cancer_version, log_answers

pytestmark = pytest.mark.slow


@pytest.fixture
def logged(workdir: Path) -> Registry:
    """The default registry of ``workdir``, with 3 answers of endpoint ``cancer`` logged."""
    registry = Registry()
    version, data = cancer_version(registry, workdir / "packages")
    log_answers(registry, "cancer", version, data.X("test").head(3), ids=["r0", "r1", "r2"])
    return registry


def _labels(registry: Registry) -> dict[tuple[str, int], str]:
    return {(s.request_id, s.instance): s.label for s in registry.labels.since("cancer")}


def test_a_csv_of_labels_is_stored_and_summed_up(
    cli: Callable, logged: Registry, workdir: Path
) -> None:
    (workdir / "labels.csv").write_text("request_id,label\nr0,benign\nr1,0\n")
    result = cli("feedback", "cancer", "--file", "labels.csv")
    assert result.code == 0, result.err
    assert result.out.strip() == "2 labels stored, 0 replaced, 0 unknown"
    assert _labels(logged) == {("r0", 0): "benign", ("r1", 0): "0"}


def test_unknown_ids_are_reported_and_not_stored(
    cli: Callable, logged: Registry, workdir: Path
) -> None:
    rows = ["request_id,label", "r0,benign"] + [f"gone-{i},benign" for i in range(7)]
    (workdir / "labels.csv").write_text("\n".join(rows) + "\n")
    result = cli("feedback", "cancer", "--file", "labels.csv")
    assert result.code == 0, result.err
    assert result.out.strip() == (
        "1 labels stored, 0 replaced, 7 unknown (not in the prediction log: "
        "gone-0, gone-1, gone-2, gone-3, gone-4, …)"
    )
    assert _labels(logged) == {("r0", 0): "benign"}


def test_a_second_file_corrects_the_first(cli: Callable, logged: Registry, workdir: Path) -> None:
    (workdir / "labels.csv").write_text("request_id,label\nr0,benign\nr1,benign\n")
    cli("feedback", "cancer", "--file", "labels.csv")
    (workdir / "fixed.csv").write_text("request_id,label\nr1,malignant\nr2,benign\n")
    result = cli("feedback", "cancer", "--file", "fixed.csv")
    assert result.out.strip() == "1 labels stored, 1 replaced, 0 unknown"
    assert _labels(logged)[("r1", 0)] == "malignant"


def test_a_parquet_file_with_instances_is_read(
    cli: Callable, logged: Registry, workdir: Path
) -> None:
    frame = pd.DataFrame({"request_id": ["r0", "r0"], "instance": [0, 1], "label": ["1", "0"]})
    frame.to_parquet(workdir / "labels.parquet")
    result = cli("feedback", "cancer", "--file", "labels.parquet")
    assert result.code == 0, result.err
    assert _labels(logged) == {("r0", 0): "1", ("r0", 1): "0"}


def test_the_endpoints_file_names_the_log_store(
    cli: Callable, logged: Registry, workdir: Path
) -> None:
    endpoints = {"endpoints": [{"id": "cancer", "model": "cancer:1", "logging": {
        "sample_rate": 1.0, "store": f"parquet:{workdir / 'empty-log'}"}}]}  # fmt: skip
    (workdir / "endpoints.yaml").write_text(yaml.safe_dump(endpoints))
    (workdir / "labels.csv").write_text("request_id,label\nr0,benign\n")
    result = cli("feedback", "cancer", "--file", "labels.csv", "--endpoints", "endpoints.yaml")
    assert result.code == 0, result.err
    assert result.out.strip().startswith("0 labels stored, 0 replaced, 1 unknown")
    registry_log = cli("feedback", "cancer", "--file", "labels.csv", "--store", "registry")
    assert registry_log.out.strip() == "1 labels stored, 0 replaced, 0 unknown"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "id,label\nr0,benign\n",
            "error: the labels have no request_id column: expected columns request_id, label "
            "and optionally instance",
        ),
        (
            "request_id,label,instance\nr0,benign,first\n",
            "error: the labels' instance column must hold whole numbers (0, 1, …)",
        ),
    ],
)
def test_a_file_without_the_columns_is_one_error_line(
    cli: Callable, logged: Registry, workdir: Path, content: str, message: str
) -> None:
    (workdir / "labels.csv").write_text(content)
    result = cli("feedback", "cancer", "--file", "labels.csv")
    assert (result.code, result.err.strip()) == (2, message)


def test_a_missing_or_unreadable_file_is_one_error_line(
    cli: Callable, logged: Registry, workdir: Path
) -> None:
    missing = cli("feedback", "cancer", "--file", "nowhere.csv")
    assert (missing.code, missing.err.strip()) == (2, "error: no labels file nowhere.csv")
    (workdir / "broken.parquet").write_bytes(b"not parquet at all")
    broken = cli("feedback", "cancer", "--file", "broken.parquet")
    assert (broken.code, broken.err.strip()) == (
        2,
        "error: cannot read labels file broken.parquet: expected a Parquet file with columns "
        "request_id, label and optionally instance",
    )


def test_an_endpoint_missing_from_the_endpoints_file_is_an_error(
    cli: Callable, logged: Registry, workdir: Path
) -> None:
    (workdir / "endpoints.yaml").write_text(
        yaml.safe_dump({"endpoints": [{"id": "other", "model": "cancer:1"}]})
    )
    (workdir / "labels.csv").write_text("request_id,label\nr0,benign\n")
    result = cli("feedback", "cancer", "--file", "labels.csv", "--endpoints", "endpoints.yaml")
    assert (result.code, result.err.strip()) == (
        2, "error: endpoints.yaml: no endpoint 'cancer'; endpoints: other"
    )  # fmt: skip
