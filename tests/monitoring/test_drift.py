"""Drift of traffic against a version's stored reference: which features, when the dataset.

Traffic is drawn (seeded, with replacement) from the population the reference came from, so
"unshifted" means what it says; shifted traffic moves a feature by a multiple of its standard
deviation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from drift_packages import classifier_package, regressor_package, without_reference
from drifttools import shift, traffic
from sklearn.datasets import load_breast_cancer, make_classification

from modelyard.monitoring.drift import measure_drift, reference_predictions
from modelyard.monitoring.drift_report import DriftReport
from modelyard.monitoring.reference import Reference, load_reference
from modelyard.pipeline.pipeline import Pipeline


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).data


@pytest.fixture(scope="module")
def package(breast_cancer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bc") / "pkg"
    return classifier_package(folder, breast_cancer.X_train, breast_cancer.y_train)


@pytest.fixture(scope="module")
def reference(package: Path) -> Reference:
    return load_reference(package)


@pytest.fixture(scope="module")
def large() -> tuple[pd.DataFrame, pd.DataFrame]:
    """5,000 reference rows and 1,000 current rows of 30 features from one distribution."""
    X, _ = make_classification(n_samples=6000, n_features=30, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i:02d}" for i in range(30)])
    return frame.iloc[:5000].reset_index(drop=True), frame.iloc[5000:].reset_index(drop=True)


def test_one_feature_shifted_by_3_sigma_is_the_only_one_flagged(
    reference: Reference, population: pd.DataFrame
) -> None:
    report = measure_drift(reference, shift(traffic(population), ["mean texture"]))

    assert report.drifted == ["mean texture"]
    assert report.dataset.model_dump() == {
        "features": 30,
        "judged": 30,
        "drifted_features": 1,
        "share": 1 / 30,
        "threshold": 0.5,
        "drifted": False,
    }
    texture = next(f for f in report.features if f.name == "mean texture")
    assert (texture.method, texture.effect_method, texture.threshold) == ("ks", "wasserstein", 0.05)
    assert texture.effect_size is not None and texture.effect_size > 2.5


def test_60_percent_of_features_shifted_flags_the_dataset(
    reference: Reference, population: pd.DataFrame
) -> None:
    columns = list(population.columns[:18])

    report = measure_drift(reference, shift(traffic(population), columns))

    assert report.drifted == sorted(columns)
    assert (report.dataset.share, report.dataset.drifted) == (0.6, True)


def test_1000_unshifted_rows_flag_nothing_against_a_small_reference(
    reference: Reference, population: pd.DataFrame
) -> None:
    report = measure_drift(reference, traffic(population))

    assert report.reference_rows == 426
    assert {f.method for f in report.features} == {"ks"}
    assert (report.drifted, report.dataset.drifted) == ([], False)


def test_1000_unshifted_rows_flag_nothing_against_a_large_reference(
    large: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = large

    report = measure_drift(reference, current)

    assert {f.method for f in report.features} == {"wasserstein"}
    assert (report.drifted, report.dataset.drifted) == ([], False)


def test_large_reference_flags_the_shifted_feature_by_wasserstein(
    large: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = large

    report = measure_drift(reference, shift(current, ["f07"], sigmas=0.5))

    assert report.drifted == ["f07"]
    shifted = report.features[7]
    assert (shifted.method, shifted.p_value, shifted.threshold) == ("wasserstein", None, 0.1)
    assert shifted.statistic == pytest.approx(0.5, abs=0.1)


def test_binary_feature_uses_the_z_test(diabetes, tmp_path: Path) -> None:
    reference = load_reference(
        regressor_package(tmp_path / "pkg", diabetes.X_train, diabetes.y_train)
    )
    rng = np.random.default_rng(0)
    values = np.sort(diabetes.X_train["sex"].unique())
    current = diabetes.X_train.sample(400, replace=True, random_state=0).reset_index(drop=True)
    current["sex"] = rng.choice(values, size=400, p=[0.8, 0.2])

    report = measure_drift(reference, current)

    sex = next(f for f in report.features if f.name == "sex")
    assert reference.kinds["sex"] == "categorical"
    assert (sex.kind, sex.method, sex.effect_method, sex.drifted) == (
        "categorical",
        "z",
        "jensenshannon",
        True,
    )
    assert sex.histogram is not None and len(sex.histogram.bins or []) == 2


def _mixed(rows: int, seed: int, colours: list[float]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, rows),
            "colour": rng.choice(["red", "green", "blue", "grey"], rows, p=colours),
            "member": rng.choice([True, False], rows),
            "visits": rng.integers(0, 3, rows),
        }
    )


def test_categories_use_chi_square_in_a_mixed_frame() -> None:
    even = [0.25, 0.25, 0.25, 0.25]
    reference, current = _mixed(800, 1, even), _mixed(600, 2, [0.4, 0.3, 0.2, 0.1])

    report = measure_drift(reference, current)

    by_name = {f.name: f for f in report.features}
    assert [f.name for f in report.features] == ["amount", "colour", "member", "visits"]
    assert {name: (f.kind, f.method) for name, f in by_name.items()} == {
        "amount": ("numeric", "ks"),
        "colour": ("categorical", "chisquare"),
        "member": ("categorical", "z"),
        "visits": ("categorical", "chisquare"),
    }
    assert report.drifted == ["colour"]


def test_numpy_trained_model_features_are_x0_x1(breast_cancer, tmp_path: Path) -> None:
    folder = classifier_package(
        tmp_path / "pkg", breast_cancer.X_train.to_numpy(), breast_cancer.y_train
    )
    reference = load_reference(folder)
    columns = [f"x{i}" for i in range(30)]
    current = pd.DataFrame(load_breast_cancer().data, columns=columns)

    report = measure_drift(reference, shift(current, ["x3"]))

    assert list(reference.kinds) == columns
    assert report.drifted == ["x3"]


def test_version_without_reference_is_judged_on_its_profile_with_reasons(
    breast_cancer, population: pd.DataFrame, tmp_path: Path
) -> None:
    folder = without_reference(
        classifier_package(tmp_path / "pkg", breast_cancer.X_train, breast_cancer.y_train)
    )
    reference = load_reference(folder)

    report = measure_drift(reference, shift(traffic(population), ["mean texture"]))

    assert (reference.frame, report.reference, report.reference_rows) == (None, "profile", 426)
    assert {f.method for f in report.features} == {"profile_chisquare"}
    assert "mean texture" in report.drifted
    assert {f.note for f in report.features} == {
        "no reference sample in this version: ks and wasserstein need the training values; "
        "judged on the profile's bins"
    }


def test_too_few_current_rows_are_not_judged(
    reference: Reference, population: pd.DataFrame
) -> None:
    report = measure_drift(reference, shift(traffic(population, rows=99), ["mean texture"]))

    assert {(f.drifted, f.method, f.note) for f in report.features} == {
        (None, None, "not judged: 99 current values, fewer than min_rows=100")
    }
    assert (report.dataset.judged, report.dataset.share, report.dataset.drifted) == (0, None, None)
    assert report.min_rows == 100


def test_min_rows_can_be_lowered(reference: Reference, population: pd.DataFrame) -> None:
    report = measure_drift(
        reference, shift(traffic(population, rows=99), ["mean texture"]), min_rows=50
    )

    assert (report.min_rows, report.dataset.judged) == (50, 30)
    assert "mean texture" in report.drifted


def test_absent_and_mistyped_columns_are_not_judged_with_the_reason(
    reference: Reference, population: pd.DataFrame
) -> None:
    current = traffic(population).drop(columns=["mean area"])
    current["mean radius"] = "wide"

    report = measure_drift(reference, current)

    notes = {f.name: f.note for f in report.features if f.drifted is None}
    assert notes == {
        "mean area": "not judged: column absent from the current data",
        "mean radius": "not judged: numeric in the reference, not numbers in the current data",
    }
    assert report.dataset.judged == 28


def test_prediction_drift_of_labels(
    package: Path, reference: Reference, population: pd.DataFrame
) -> None:
    assert reference.frame is not None
    pipeline = Pipeline.from_package(package)
    current = shift(traffic(population), list(population.columns))
    predictions = (
        reference_predictions(pipeline, reference.frame),
        reference_predictions(pipeline, current),
    )

    report = measure_drift(reference, current, predictions=predictions)

    assert report.prediction is not None
    assert (report.prediction.name, report.prediction.kind, report.prediction.method) == (
        "label",
        "categorical",
        "z",
    )
    assert report.prediction.drifted is True


def test_reference_predictions_are_what_the_pipeline_answers(
    package: Path, reference: Reference
) -> None:
    assert reference.frame is not None
    pipeline = Pipeline.from_package(package)
    rows = reference.frame.head(20)

    labels = reference_predictions(pipeline, rows)

    answers = pipeline.predict({"instances": rows.to_dict(orient="records")})["predictions"]
    assert labels.name == "label"
    assert labels.tolist() == [answer["label"] for answer in answers]


def test_prediction_drift_of_regression_values(diabetes, tmp_path: Path) -> None:
    folder = regressor_package(tmp_path / "pkg", diabetes.X_train, diabetes.y_train)
    reference = load_reference(folder)
    assert reference.frame is not None
    pipeline = Pipeline.from_package(folder)
    current = diabetes.X_train.reset_index(drop=True)
    same = reference_predictions(pipeline, current)

    report = measure_drift(
        reference, current, predictions=(reference_predictions(pipeline, reference.frame), same)
    )

    assert report.prediction is not None
    assert (report.prediction.name, report.prediction.kind) == ("value", "numeric")
    assert (report.prediction.method, report.prediction.drifted) == ("ks", False)


def test_json_is_stable_sorted_with_fixed_keys(
    reference: Reference, population: pd.DataFrame
) -> None:
    shuffled = traffic(population)[list(reversed(population.columns))]

    text = measure_drift(reference, shuffled).model_dump_json()

    document = json.loads(text)
    assert list(document) == [
        "reference",
        "reference_rows",
        "current_rows",
        "min_rows",
        "features",
        "dataset",
        "prediction",
        "definitions",
        "note",
    ]
    names = [feature["name"] for feature in document["features"]]
    assert names == sorted(names)
    assert list(document["features"][0]) == [
        "name",
        "kind",
        "method",
        "statistic",
        "p_value",
        "effect_size",
        "effect_method",
        "psi",
        "threshold",
        "drifted",
        "rows_reference",
        "rows_current",
        "note",
        "histogram",
    ]
    assert DriftReport.model_validate_json(text).model_dump_json() == text
    assert measure_drift(reference, shuffled).model_dump_json() == text
