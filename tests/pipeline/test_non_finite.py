"""Missing and non-finite numbers: refused by name, unless training saw them missing.

A column whose training data had missing values is marked ``missing`` in the signature; there
``null`` reaches the model as NaN. Anywhere else ``null``, and anywhere a number the input
tensor cannot hold, is a payload error naming the field, whatever the endpoint's validation
mode. A model output that is NaN or infinite is never formatted as an answer.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from modelyard.core.errors import PayloadError
from modelyard.package.builder import build_package
from modelyard.package.io import read_manifest
from modelyard.package.manifest import ColumnSpec, Signature, TensorSpec
from modelyard.pipeline import Endpoint, Pipeline
from modelyard.pipeline.encoders.tabular import TabularArgs, TabularEncoder
from modelyard.pipeline.formatters import NonFiniteOutputError
from modelyard.pipeline.types import Context

HOLED = "mean radius"  # the column the training data leaves missing now and then


def _holed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every seventh value of one column missing."""
    holed = frame.copy()
    holed.iloc[::7, holed.columns.get_loc(HOLED)] = np.nan
    return holed


@pytest.fixture(scope="module")
def imputing_package(tmp_path_factory, breast_cancer) -> Path:  # type: ignore[no-untyped-def]
    """An imputer in front of a logistic regression, trained on data with holes."""
    train = _holed(breast_cancer.X_train)
    model = make_pipeline(SimpleImputer(), LogisticRegression(max_iter=5000))
    model.fit(train, breast_cancer.y_train)
    folder = tmp_path_factory.mktemp("imputing") / "bc"
    build_package(
        model,
        "bc_imputing",
        folder,
        sample=train.head(20),
        train_data=train.assign(target=breast_cancer.y_train.to_numpy()),
        target="target",
    )
    return folder


@pytest.fixture(scope="module")
def unabsorbed_package(tmp_path_factory, breast_cancer) -> Path:  # type: ignore[no-untyped-def]
    """A plain logistic regression whose training table had holes it was never fitted on:
    the signature lets ``null`` through, and the model answers NaN for it."""
    model = LogisticRegression(max_iter=5000).fit(breast_cancer.X_train, breast_cancer.y_train)
    folder = tmp_path_factory.mktemp("unabsorbed") / "bc"
    holed = _holed(breast_cancer.X_train)
    build_package(
        model,
        "bc_unabsorbed",
        folder,
        sample=breast_cancer.X_train.head(20),
        train_data=holed.assign(target=breast_cancer.y_train.to_numpy()),
        target="target",
    )
    return folder


def _record(breast_cancer, **changes: object) -> dict:  # type: ignore[no-untyped-def]
    return {**breast_cancer.X_test.iloc[0].to_dict(), **changes}


def _endpoint(tmp_path: Path, registry, package: Path, policy: str) -> Endpoint:  # type: ignore[no-untyped-def]
    version = registry.register(package)
    name = version.name
    path = tmp_path / f"endpoints-{policy}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            endpoints:
              - id: e
                model: {name}:{version.version}
                validation: {{profile: {policy}}}
            """
        )
    )
    return Endpoint.from_yaml(path, registry=registry)


def test_the_signature_marks_the_columns_training_left_missing(imputing_package):
    columns = {c.name: c.missing for c in read_manifest(imputing_package).signature.columns}
    assert columns[HOLED] is True
    assert sum(columns.values()) == 1


def test_a_package_written_before_the_mark_accepts_no_missing_value():
    assert ColumnSpec.model_validate({"name": "x", "dtype": "float32"}).missing is False


def test_a_profile_of_sample_rows_marks_nothing(tmp_path, breast_cancer):
    holed = _holed(breast_cancer.X_train)
    model = make_pipeline(SimpleImputer(), LogisticRegression(max_iter=5000))
    model.fit(holed, breast_cancer.y_train)
    build_package(model, "bc", tmp_path / "bc", sample=holed.head(20))
    assert not any(c.missing for c in read_manifest(tmp_path / "bc").signature.columns)


@pytest.mark.parametrize("policy", ["off", "warn", "reject"])
def test_null_where_training_had_missing_values_reaches_the_model_as_nan(
    tmp_path, registry, imputing_package, breast_cancer, policy
):
    served = _endpoint(tmp_path, registry, imputing_package, policy)
    record = _record(breast_cancer, **{HOLED: None})
    batch = served.pipeline.encode({"instances": [record]})
    assert np.isnan(batch.feeds["input"][0, 0])
    answer = served.predict({"instances": [record]})
    frame = pd.DataFrame([record], columns=breast_cancer.X_test.columns).astype(float)
    model = make_pipeline(SimpleImputer(), LogisticRegression(max_iter=5000))
    model.fit(_holed(breast_cancer.X_train), breast_cancer.y_train)
    assert answer["predictions"][0]["label"] == int(model.predict(frame)[0])


@pytest.mark.parametrize("policy", ["off", "warn", "reject"])
def test_null_where_training_had_none_is_named_in_every_mode(
    tmp_path, registry, imputing_package, breast_cancer, policy
):
    served = _endpoint(tmp_path, registry, imputing_package, policy)
    with pytest.raises(PayloadError) as caught:
        served.predict({"instances": [_record(breast_cancer, **{"mean texture": None})]})
    assert caught.value.problems == [
        {
            "pointer": "/instances/0/mean texture",
            "expected": "number (the training data had no missing values in this column)",
            "got": "null",
        }
    ]


@pytest.mark.parametrize("policy", ["off", "warn", "reject"])
@pytest.mark.parametrize("huge", [1e300, -1e39, 3.5e38])
def test_a_number_past_float32_is_named_in_every_mode(
    tmp_path, registry, imputing_package, breast_cancer, policy, huge
):
    served = _endpoint(tmp_path, registry, imputing_package, policy)
    row = list(_record(breast_cancer).values())
    row[3] = huge
    with pytest.raises(PayloadError) as caught:
        served.predict({"instances": [_record(breast_cancer), row]})
    assert caught.value.problems == [
        {
            "pointer": "/instances/1/3",
            "expected": "number within float32's range (±3.4e+38)",
            "got": "number out of that range",
        }
    ]
    assert str(huge) not in str(caught.value)


def test_every_bad_field_is_named_at_once(bc_package, breast_cancer):
    pipeline = Pipeline.from_package(bc_package)
    records = [
        _record(breast_cancer, **{"mean area": 1e300}),
        _record(breast_cancer, **{"worst area": None, "mean radius": None}),
    ]
    with pytest.raises(PayloadError) as caught:
        pipeline.encode({"instances": records})
    assert [p["pointer"] for p in caught.value.problems] == [
        "/instances/0/mean area",
        "/instances/1/mean radius",
        "/instances/1/worst area",
    ]


def test_a_frame_with_holes_or_overflows_is_refused_by_column(bc_package, breast_cancer):
    pipeline = Pipeline.from_package(bc_package)
    frame = breast_cancer.X_test.head(5).copy()
    frame.iloc[1:3, 0] = np.nan
    frame.iloc[4, 0] = 1e300
    frame.iloc[0, 2] = np.inf
    with pytest.raises(PayloadError) as caught:
        pipeline.encoder.encode_frame(frame)
    assert caught.value.problems == [
        {
            "pointer": "/mean radius",
            "expected": "number within float32's range (±3.4e+38)",
            "got": "2 missing values, 1 values out of range",
        },
        {
            "pointer": "/mean perimeter",
            "expected": "number within float32's range (±3.4e+38)",
            "got": "1 values out of range",
        },
    ]


def _one_input_per_column(*columns: ColumnSpec) -> TabularEncoder:
    """An encoder for a model with one ``[None, 1]`` input per column (a ColumnTransformer)."""
    signature = Signature(
        inputs=[TensorSpec(name=c.name, dtype=c.dtype, shape=[None, 1]) for c in columns],
        outputs=[TensorSpec(name="label", dtype="int64", shape=[None])],
        columns=list(columns),
    )
    return TabularEncoder(TabularArgs(), Context(signature=signature, name="columns"))


def test_integer_columns_refuse_what_does_not_fit_their_dtype():
    encoder = _one_input_per_column(
        ColumnSpec(name="age", dtype="int64"), ColumnSpec(name="city", dtype="string")
    )
    bad = [2**63, -(2**63) - 1, 1e300, 2.0**63, None]
    with pytest.raises(PayloadError) as caught:
        encoder.encode([{"age": value, "city": "x"} for value in bad])
    assert [(p["pointer"], p["got"]) for p in caught.value.problems] == [
        ("/0/age", "integer"),
        ("/1/age", "integer"),
        ("/2/age", "number"),
        ("/3/age", "number"),
        ("/4/age", "null"),
    ]
    largest = encoder.encode([{"age": 2**63 - 1, "city": "x"}, {"age": -(2**63), "city": "y"}])
    assert largest.feeds["age"][:, 0].tolist() == [2**63 - 1, -(2**63)]


def test_a_nan_output_is_an_error_naming_the_output(
    tmp_path, registry, unabsorbed_package, breast_cancer
):
    served = _endpoint(tmp_path, registry, unabsorbed_package, "warn")
    good = _record(breast_cancer)
    assert len(served.predict({"instances": [good]})["predictions"]) == 1
    with pytest.raises(NonFiniteOutputError) as caught:
        served.predict({"instances": [good, _record(breast_cancer, **{HOLED: None})]})
    assert str(caught.value) == (
        "the model's output 'probabilities' is not a finite number (NaN or infinity) for "
        "instance 1: the model cannot compute an answer for that input"
    )
    assert caught.value.problems == [
        {
            "pointer": "/instances/1",
            "expected": "an instance the model answers with finite numbers",
            "got": "NaN or infinity in output 'probabilities'",
        }
    ]


def test_an_infinite_regression_value_is_an_error(diabetes_package, diabetes):
    pipeline = Pipeline.from_package(diabetes_package)
    largest = np.finfo(pipeline.manifest.signature.inputs[0].dtype).max
    record = {name: float(largest) / 2 for name in diabetes.X_test.columns}
    with pytest.raises(NonFiniteOutputError) as caught:
        pipeline.predict({"instances": [record]})
    assert caught.value.problems[0]["got"] == "NaN or infinity in output 'value'"


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_numbers_near_float32s_largest_are_still_taken(bc_package, breast_cancer):
    pipeline = Pipeline.from_package(bc_package)
    record = _record(breast_cancer, **{"mean area": 3.4e38, "worst area": 3.4e38})
    feeds = pipeline.encode({"instances": [record]}).feeds["input"]
    assert np.isfinite(feeds).all()
    assert feeds[0, 3] == np.float32(3.4e38)


def test_one_input_per_column_is_checked_the_same_way():
    encoder = _one_input_per_column(
        ColumnSpec(name="a", dtype="float32"), ColumnSpec(name="b", dtype="float64", missing=True)
    )
    feeds = encoder.encode([{"a": 1.5, "b": None}, {"a": 2.0, "b": 1e300}]).feeds
    assert np.isnan(feeds["b"][0, 0]) and feeds["b"][1, 0] == 1e300
    with pytest.raises(PayloadError) as caught:
        encoder.encode([{"a": 1e300, "b": 1.0}, {"a": None, "b": None}])
    assert caught.value.problems == [
        {
            "pointer": "/0/a",
            "expected": "number within float32's range (±3.4e+38)",
            "got": "number out of that range",
        },
        {
            "pointer": "/1/a",
            "expected": "number (the training data had no missing values in this column)",
            "got": "null",
        },
    ]


_ANY_NUMBER = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1e6, 1e6, width=32),
)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_ANY_NUMBER, _ANY_NUMBER, _ANY_NUMBER), min_size=1, max_size=6))
def test_any_json_numbers_give_finite_tensors_or_named_fields(rows):
    """Whatever numbers come, the answer is tensors the model can take (NaN only where a
    column may be missing) or a payload error; never an exception of another kind."""
    encoder = _one_input_per_column(
        ColumnSpec(name="f", dtype="float32"),
        ColumnSpec(name="m", dtype="float32", missing=True),
        ColumnSpec(name="i", dtype="int64"),
    )
    stacked = TabularEncoder(
        TabularArgs(),
        Context(
            signature=Signature(
                inputs=[TensorSpec(name="x", dtype="float32", shape=[None, 2])],
                outputs=[TensorSpec(name="label", dtype="int64", shape=[None])],
                columns=[
                    ColumnSpec(name="f", dtype="float32"),
                    ColumnSpec(name="m", dtype="float64", missing=True),
                ],
            ),
            name="stacked",
        ),
    )
    for encode, payload in (
        (encoder.encode, [{"f": f, "m": m, "i": i} for f, m, i in rows]),
        (stacked.encode, [[f, m] for f, m, _ in rows]),
    ):
        try:
            feeds = encode(payload).feeds
        except PayloadError as error:
            assert all(p["pointer"].startswith("/") for p in error.problems)
            continue
        for name, array in feeds.items():
            if array.dtype.kind == "f":
                allowed_nan = np.isnan(array) & (name == "m" or name == "x")
                assert (np.isfinite(array) | allowed_nan).all()
        if "x" in feeds:
            assert np.isfinite(feeds["x"][:, 0]).all()
