"""Requests against the training profile: warn, reject with every field named, or off."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from modelyard.core.errors import PayloadError
from modelyard.package.builder import build_package
from modelyard.package.manifest import (
    CategoryProfile,
    ColumnSpec,
    DataProfile,
    FeatureProfile,
    Signature,
    TensorSpec,
)
from modelyard.pipeline import Endpoint
from modelyard.pipeline.profile_check import ProfileCheck


@pytest.fixture(scope="module")
def trained_package(tmp_path_factory, breast_cancer) -> Path:  # type: ignore[no-untyped-def]
    """Breast cancer logged with its training data, so the profile is the training range."""
    folder = tmp_path_factory.mktemp("profiled") / "bc"
    model = LogisticRegression(max_iter=5000).fit(breast_cancer.X_train, breast_cancer.y_train)
    build_package(
        model,
        "breast_cancer",
        folder,
        sample=breast_cancer.X_train.head(20),
        train_data=breast_cancer.frame("train"),
        target="target",
    )
    return folder


def endpoint(tmp_path: Path, registry, package: Path, policy: str) -> Endpoint:  # type: ignore[no-untyped-def]
    version = registry.register(package)
    registry.set_alias("breast_cancer", "production", version.version, reason="first")
    path = tmp_path / f"endpoints-{policy}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            endpoints:
              - id: bc
                model: breast_cancer@production
                validation: {{profile: {policy}}}
            """
        )
    )
    return Endpoint.from_yaml(path, registry=registry)


def record(breast_cancer, **changes: float | None) -> dict:  # type: ignore[no-untyped-def]
    values = {str(k): float(v) for k, v in breast_cancer.X_train.iloc[0].items()}
    return {**values, **changes}


def test_reject_names_every_field_outside_the_training_range_without_its_value(
    tmp_path, registry, trained_package, breast_cancer
):
    served = endpoint(tmp_path, registry, trained_package, "reject")
    huge = float(breast_cancer.X_train["mean radius"].max() * 10)
    bad = record(breast_cancer, **{"mean radius": huge, "worst area": -1.0})
    with pytest.raises(PayloadError) as caught:
        served.predict({"instances": [record(breast_cancer), bad]})
    problems = caught.value.problems
    assert [p["pointer"] for p in problems] == [
        "/instances/1/mean radius",
        "/instances/1/worst area",
    ]
    assert problems[0]["expected"].startswith("a number within the training range [")
    assert [p["got"] for p in problems] == ["a value above it", "a value below that range"]
    assert str(huge) not in str(caught.value)


def test_rows_are_pointed_at_by_column_position(tmp_path, registry, trained_package, breast_cancer):
    served = endpoint(tmp_path, registry, trained_package, "reject")
    row = list(record(breast_cancer).values())
    row[2] = 1e9
    with pytest.raises(PayloadError) as caught:
        served.predict({"instances": [row]})
    assert [p["pointer"] for p in caught.value.problems] == ["/instances/0/2"]


@pytest.mark.parametrize("policy", ["off", "warn", "reject"])
def test_a_missing_value_where_training_had_none_is_named_in_every_mode(
    tmp_path, registry, trained_package, breast_cancer, policy
):
    served = endpoint(tmp_path, registry, trained_package, policy)
    with pytest.raises(PayloadError) as caught:
        served.predict({"instances": [record(breast_cancer, **{"mean texture": None})]})
    assert caught.value.problems == [
        {
            "pointer": "/instances/0/mean texture",
            "expected": "number (the training data had no missing values in this column)",
            "got": "null",
        }
    ]


def test_warn_answers_and_logs_the_fields(
    tmp_path, registry, trained_package, breast_cancer, caplog
):
    served = endpoint(tmp_path, registry, trained_package, "warn")
    with caplog.at_level(logging.WARNING, logger="modelyard.pipeline.profile_check"):
        answer = served.predict({"instances": [record(breast_cancer, **{"mean area": 1e7})]})
    assert len(answer["predictions"]) == 1
    assert "inputs outside the training profile at /instances/0/mean area" in caplog.text


def test_off_and_in_range_requests_pass_silently(
    tmp_path, registry, trained_package, breast_cancer
):
    served = endpoint(tmp_path, registry, trained_package, "off")
    far = record(breast_cancer, **{"mean area": 1e7})
    assert len(served.predict({"instances": [far]})["predictions"]) == 1
    strict = endpoint(tmp_path, registry, trained_package, "reject")
    rows = breast_cancer.X_train.to_dict(orient="records")
    assert len(strict.predict({"instances": rows})["predictions"]) == len(rows)


def test_an_unseen_category_is_named() -> None:
    profile = DataProfile(
        rows=3,
        features=[
            FeatureProfile(
                name="colour",
                dtype="object",
                count=3,
                missing_rate=0.0,
                categorical=CategoryProfile(top={"red": 0.67, "blue": 0.33}, unique=2),
            )
        ],
    )
    signature = Signature(
        inputs=[TensorSpec(name="colour", dtype="string", shape=[None, 1])],
        outputs=[TensorSpec(name="label", dtype="int64", shape=[None])],
        columns=[ColumnSpec(name="colour", dtype="string", categorical=True)],
    )
    check = ProfileCheck(profile, signature)
    found = check.violations({"colour": np.array([["red"], ["green"]], dtype=object)})
    assert [(v.row, v.column, v.got) for v in found] == [(1, "colour", "an unseen category")]


def test_a_profile_of_sample_rows_only_is_not_used_to_judge_requests(
    tmp_path, registry, bc_package, breast_cancer
):
    served = endpoint(tmp_path, registry, bc_package, "reject")
    rows = breast_cancer.X_train.to_dict(orient="records")
    assert len(served.predict({"instances": rows})["predictions"]) == len(rows)
