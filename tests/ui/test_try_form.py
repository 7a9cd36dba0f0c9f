"""The try-it form's fields, made from a package's signature and data profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from modelyard.api import package_model
from modelyard.package.manifest import Manifest
from modelyard.ui.pages.try_it import tabular_form


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """A model trained on numpy arrays (no column names), profiled on its logging sample."""
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    folder = tmp_path_factory.mktemp("iris")
    return package_model(model, "iris", folder, sample=X[:10])


def test_a_model_trained_on_arrays_gets_its_generated_names_and_the_sample_medians(
    iris: Manifest,
) -> None:
    form = tabular_form(iris, None)

    assert form.layout == "records"
    assert [(f.key, f.kind, f.value) for f in form.fields] == [
        ("x0", "number", "4.9"), ("x1", "number", "3.3"), ("x2", "number", "1.4"),
        ("x3", "number", "0.2"),
    ]  # fmt: skip
    assert form.fields[0].hint == "sample range 4.4 to 5.4, median 4.9"
    assert form.prefill == "the sample data's medians and most frequent values"


def test_a_signature_without_columns_is_filled_by_position(iris: Manifest, tmp_path: Path) -> None:
    tensors_only = iris.model_copy(
        update={"signature": iris.signature.model_copy(update={"columns": []})}
    )

    form = tabular_form(tensors_only, str(tmp_path))

    assert form.layout == "rows"
    assert [(f.key, f.label) for f in form.fields] == [
        ("0", "x0"), ("1", "x1"), ("2", "x2"), ("3", "x3"),
    ]  # fmt: skip
    assert form.fields[3].value == "0.2"


def test_a_tensor_of_unknown_width_gets_no_form(iris: Manifest) -> None:
    (tensor,) = iris.signature.inputs
    unknown = iris.signature.model_copy(
        update={"columns": [], "inputs": [tensor.model_copy(update={"shape": [None, None]})]}
    )

    assert tabular_form(iris.model_copy(update={"signature": unknown}), None).layout == "none"
