"""Logged predictions for the live-performance tests: real models, a real log store.

Answers come from the version's own pipeline (``Pipeline.predict``, what the server sends)
and are written to the registry's prediction log as the server's writer does: one record per
instance, each output a column of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.api import package_model
from modelyard.monitoring.columns import Kind, input_column, output_column
from modelyard.monitoring.store import Columns, open_store
from modelyard.pipeline import Pipeline
from modelyard.registry import ModelVersion, Registry

LABEL_MAP = {"name": "label_map", "args": {"mapping": {"0": "malignant", "1": "benign"}}}


@dataclass(frozen=True)
class Split:
    """Train and test rows, the target in column ``target``."""

    train: pd.DataFrame
    test: pd.DataFrame

    def X(self, part: str) -> pd.DataFrame:
        return getattr(self, part).drop(columns="target")


def split(dataset: Any) -> Split:
    frame = dataset.frame
    train, test = train_test_split(frame, test_size=0.25, random_state=0)
    return Split(train.reset_index(drop=True), test.reset_index(drop=True))


def cancer_version(registry: Registry, root: Path) -> tuple[ModelVersion, Split]:
    """Breast cancer: a scaled logistic regression answering malignant / benign."""
    data = split(load_breast_cancer(as_frame=True))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(data.X("train"), data.train["target"])
    package_model(
        model,
        "cancer",
        root / "cancer",
        sample=data.X("train").head(50),
        train_data=data.train,
        test_data=data.test,
        target="target",
        pipeline={"postprocess": [LABEL_MAP]},
    )
    return registry.register(root / "cancer"), data


def diabetes_version(registry: Registry, root: Path) -> tuple[ModelVersion, Split]:
    """Diabetes: a linear regression of disease progression."""
    data = split(load_diabetes(as_frame=True))
    model = LinearRegression().fit(data.X("train"), data.train["target"])
    package_model(
        model,
        "diabetes",
        root / "diabetes",
        sample=data.X("train").head(50),
        train_data=data.train,
        target="target",
    )
    return registry.register(root / "diabetes"), data


def _flat(prefix: tuple[str, ...], value: Any, into: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat((*prefix, str(key)), inner, into)
    elif not isinstance(value, list):
        into[output_column(*prefix)] = value


def log_answers(
    registry: Registry,
    endpoint: str,
    version: ModelVersion,
    rows: pd.DataFrame,
    *,
    variant: str = "main",
    at: datetime | None = None,
    spacing: timedelta = timedelta(seconds=1),
    ids: Sequence[str] | None = None,
    store: str = "registry",
) -> list[str]:
    """Answer each row of ``rows`` (one request each) and log it to ``store``; the request
    ids."""
    start = at or datetime.now(UTC) - timedelta(hours=1)
    request_ids = list(ids) if ids is not None else [f"{variant}-{i}" for i in range(len(rows))]
    with Pipeline.from_version(version, registry) as pipeline:
        answers = pipeline.predict({"instances": rows.to_dict(orient="records")})["predictions"]
    records = []
    kinds: dict[str, Kind] = {}
    for i, (request_id, answer) in enumerate(zip(request_ids, answers, strict=True)):
        record: dict[str, Any] = {
            "time": start + spacing * i,
            "request_id": request_id,
            "instance": 0,
            "endpoint": endpoint,
            "variant": variant,
            "model": version.name,
            "version": version.version,
            "status": 200,
            "latency_ms": 1.0,
            "error": None,
        }
        for feature, value in rows.iloc[i].items():
            record[input_column(str(feature))] = float(value)
            kinds[input_column(str(feature))] = "float"
        outputs: dict[str, Any] = {}
        _flat((), answer, outputs)
        for column, value in outputs.items():
            kinds[column] = "str" if isinstance(value, str) else "float"
        records.append(record | outputs)
    open_store(store, registry).write(endpoint, Columns.from_records(records, kinds))
    return request_ids
