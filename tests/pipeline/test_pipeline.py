"""Whole pipelines on real models: one request, many requests, frames, overrides."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelyard.core.errors import ConfigError
from modelyard.pipeline import Pipeline, concat_batches, split_outputs
from modelyard.pipeline.spec import PipelineOverride


@pytest.fixture(scope="module")
def bc(bc_package) -> Pipeline:
    return Pipeline.from_package(bc_package)


@pytest.fixture(scope="module")
def iris_pipeline(iris_package) -> Pipeline:
    return Pipeline.from_package(iris_package)


def test_breast_cancer_records_get_labels_scores_and_probabilities(bc, breast_cancer):
    frame = breast_cancer.X_test.head(3)
    answer = bc.predict({"instances": frame.to_dict(orient="records")})
    assert answer["model"] == {"name": "breast_cancer", "version": None}
    first = answer["predictions"][0]
    assert set(first) == {"label", "score", "probabilities"}
    assert set(first["probabilities"]) == {"0", "1"}
    expected = bc.postprocessed_frame(frame)["label"].tolist()
    assert [p["label"] for p in answer["predictions"]] == expected


def test_postprocessed_frame_gives_the_standard_keys_aligned_with_classes(bc, breast_cancer):
    outputs = bc.postprocessed_frame(breast_cancer.X_test)
    assert set(outputs) == {"label", "probabilities", "score"}
    assert outputs["probabilities"].shape == (len(breast_cancer.X_test), 2)
    assert bc.output_context.classes == (0, 1)
    np.testing.assert_array_equal(outputs["label"], outputs["probabilities"].argmax(axis=1))
    assert (outputs["label"] == breast_cancer.y_test.to_numpy()).mean() > 0.9


def test_iris_top_two_species_from_the_manifest_pipeline(iris_pipeline, iris):
    prediction = iris_pipeline.predict(iris.X_test.head(1).to_numpy().tolist())["predictions"][0]
    assert prediction["label"] in {"setosa", "versicolor", "virginica"}
    assert set(prediction["probabilities"]) == {"setosa", "versicolor", "virginica"}
    assert prediction["top"][0]["label"] == prediction["label"]
    assert len(prediction["top"]) == 2


def test_diabetes_regression_applies_the_affine_step(diabetes_package, diabetes):
    from sklearn.linear_model import LinearRegression

    pipeline = Pipeline.from_package(diabetes_package)
    rows = diabetes.X_test.head(5)
    values = [p["value"] for p in pipeline.predict(rows.to_dict(orient="records"))["predictions"]]
    expected = LinearRegression().fit(diabetes.X_train, diabetes.y_train).predict(rows) * 10 + 1
    np.testing.assert_allclose(values, expected, rtol=1e-4)


def test_the_sklearn_runner_answers_like_the_onnx_one(bc_sklearn_package, bc, breast_cancer):
    pipeline = Pipeline.from_package(bc_sklearn_package)
    assert pipeline.manifest.format == "sklearn"
    rows = breast_cancer.X_test.head(20).to_numpy().tolist()
    native = pipeline.predict(rows)["predictions"]
    onnx = bc.predict(rows)["predictions"]
    assert [p["label"] for p in native] == [p["label"] for p in onnx]
    np.testing.assert_allclose([p["score"] for p in native], [p["score"] for p in onnx], atol=1e-5)


def test_an_override_is_logged_and_recorded(bc_package, breast_cancer, caplog):
    override = PipelineOverride.model_validate(
        {
            "postprocess": [{"name": "threshold", "args": {"threshold": 0.9}}],
            "formatter": {"name": "raw"},
        }
    )
    with caplog.at_level(logging.WARNING, logger="modelyard.pipeline.pipeline"):
        pipeline = Pipeline.from_package(bc_package, override)
    assert pipeline.overridden == ("postprocess", "formatter")
    assert "pipeline stages postprocess, formatter overridden by pipeline override" in caplog.text
    prediction = pipeline.predict(breast_cancer.X_test.head(1).to_numpy().tolist())["predictions"][
        0
    ]
    assert set(prediction) == {"label", "probabilities", "score"}
    assert isinstance(prediction["probabilities"], list)


def test_a_manifest_error_names_the_manifest_stage(bc_package):
    override = PipelineOverride.model_validate({"runner": {"name": "sklearn"}})
    with pytest.raises(
        ConfigError,
        match=r"pipeline override: runner: runner 'sklearn': the package is stored as 'onnx', "
        r"not 'sklearn'",
    ):
        Pipeline.from_package(bc_package, override)


def test_batches_concatenate_and_split_back_by_row_counts(bc, breast_cancer):
    rows = breast_cancer.X_test.to_numpy().tolist()
    batches = [bc.encode(rows[:2]), bc.encode(rows[2:3]), bc.encode(rows[3:7])]
    merged = concat_batches(batches)
    assert merged.rows == 7
    parts = split_outputs(bc.infer(merged.feeds), [2, 1, 4])
    assert [len(part["label"]) for part in parts] == [2, 1, 4]


_sizes = st.lists(st.integers(1, 5), min_size=1, max_size=12)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=_sizes, start=st.integers(0, 80), records=st.booleans())
def test_predict_batch_answers_exactly_what_predict_answers(
    bc, iris_pipeline, breast_cancer, iris, sizes, start, records
):
    for pipeline, split in ((bc, breast_cancer), (iris_pipeline, iris)):
        payloads, offset = [], start
        for size in sizes:
            part = split.X_test.take(np.arange(offset, offset + size) % len(split.X_test))
            payloads.append(part.to_dict(orient="records") if records else part.to_numpy().tolist())
            offset += size
        assert pipeline.predict_batch(payloads) == [pipeline.predict(p) for p in payloads]
