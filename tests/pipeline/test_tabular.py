"""The tabular encoder: records and rows in, checked and coerced tensors out."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelyard.core.errors import PayloadError
from modelyard.package.manifest import ColumnSpec, Signature, TensorSpec
from modelyard.pipeline import Pipeline
from modelyard.pipeline.encoders.tabular import TabularArgs, TabularEncoder
from modelyard.pipeline.types import Context


@pytest.fixture(scope="module")
def bc(bc_package) -> Pipeline:
    return Pipeline.from_package(bc_package)


def _mixed_encoder(unknown_fields: str = "ignore") -> TabularEncoder:
    """Two columns feeding two inputs of their own names (a ColumnTransformer's layout)."""
    signature = Signature(
        inputs=[
            TensorSpec(name="age", dtype="int64", shape=[None, 1]),
            TensorSpec(name="city", dtype="string", shape=[None, 1]),
        ],
        outputs=[TensorSpec(name="label", dtype="int64", shape=[None])],
        columns=[ColumnSpec(name="age", dtype="int64"), ColumnSpec(name="city", dtype="string")],
    )
    args = TabularArgs(unknown_fields=unknown_fields)
    return TabularEncoder(args, Context(signature=signature, name="mixed"))


def test_records_and_rows_give_the_same_tensor(bc, breast_cancer):
    frame = breast_cancer.X_test.head(5)
    records = bc.encode({"instances": frame.to_dict(orient="records")})
    rows = bc.encode({"instances": frame.to_numpy().tolist()})
    assert records.rows == rows.rows == 5
    np.testing.assert_array_equal(records.feeds["input"], rows.feeds["input"])
    assert records.feeds["input"].dtype == np.float32


def test_frame_and_json_records_give_the_same_tensor(bc, breast_cancer):
    frame = breast_cancer.X_test.head(7)
    from_json = bc.encode(json.loads(json.dumps(frame.to_dict(orient="records"))))
    np.testing.assert_array_equal(
        bc.encoder.encode_frame(frame).feeds["input"], from_json.feeds["input"]
    )


def test_missing_and_mistyped_fields_are_all_reported_without_values(bc, breast_cancer):
    record = breast_cancer.X_test.iloc[0].to_dict()
    broken = {**record, "mean radius": "very large"}
    del broken["mean area"]
    with pytest.raises(PayloadError) as caught:
        bc.encode({"instances": [record, broken]})
    assert caught.value.problems == [
        {"pointer": "/instances/1/mean radius", "expected": "number", "got": "string"},
        {"pointer": "/instances/1/mean area", "expected": "number", "got": "missing"},
    ]
    assert "very large" not in str(caught.value)
    broken["mean area"] = 1.0
    with pytest.raises(PayloadError) as caught:
        bc.encode({"instances": [record, broken]})
    assert caught.value.problems == [
        {"pointer": "/instances/1/mean radius", "expected": "number", "got": "string"}
    ]
    assert "very large" not in str(caught.value)


def test_rows_of_the_wrong_length_name_the_expected_width(bc):
    with pytest.raises(PayloadError) as caught:
        bc.encode([[1.0, 2.0]])
    assert caught.value.problems == [
        {
            "pointer": "/0",
            "expected": "object of columns or array of 30 values in signature order",
            "got": "array of 2",
        }
    ]


@pytest.mark.parametrize(
    ("payload", "pointer", "expected", "got"),
    [
        ({"instances": []}, "/instances", "non-empty array", "array of 0"),
        ({"rows": [1]}, "", 'object {"instances": [...]} or non-empty array', "object"),
        ("text", "", 'object {"instances": [...]} or non-empty array', "string"),
    ],
)
def test_payloads_without_instances_are_refused(bc, payload, pointer, expected, got):
    with pytest.raises(PayloadError) as caught:
        bc.encode(payload)
    assert caught.value.problems == [{"pointer": pointer, "expected": expected, "got": got}]


def test_per_column_inputs_coerce_each_column_to_its_dtype():
    batch = _mixed_encoder().encode(
        [{"age": 31.0, "city": "Lyon", "id": 7}, {"age": 40, "city": "Oslo"}]
    )
    assert batch.rows == 2
    assert batch.feeds["age"].dtype == np.int64 and batch.feeds["age"].shape == (2, 1)
    assert batch.feeds["city"].tolist() == [["Lyon"], ["Oslo"]]


def test_per_column_errors_use_json_pointer_escapes():
    with pytest.raises(PayloadError) as caught:
        _mixed_encoder().encode([{"age": 31.5, "city": 3}])
    assert caught.value.problems == [
        {"pointer": "/0/age", "expected": "integer", "got": "number"},
        {"pointer": "/0/city", "expected": "string", "got": "integer"},
    ]


def test_unknown_fields_are_refused_when_asked():
    with pytest.raises(PayloadError) as caught:
        _mixed_encoder("reject").encode([{"age": 3, "city": "x", "a/b": True}])
    assert caught.value.problems == [
        {"pointer": "/0/a~1b", "expected": "no such field", "got": "boolean"}
    ]


def test_null_in_a_float_column_marked_missing_becomes_nan(bc, breast_cancer):
    signature = bc.manifest.signature
    columns = [c.model_copy(update={"missing": c.name == "mean radius"}) for c in signature.columns]
    context = Context(signature=signature.model_copy(update={"columns": columns}), name="bc")
    encoder = TabularEncoder(TabularArgs(), context)
    record = {**breast_cancer.X_test.iloc[0].to_dict(), "mean radius": None}
    assert np.isnan(encoder.encode([record]).feeds["input"][0, 0])
    with pytest.raises(PayloadError):
        bc.encode([record])  # the same record where training had no missing values


def test_frame_missing_a_column_names_it(bc, breast_cancer):
    with pytest.raises(PayloadError) as caught:
        bc.encoder.encode_frame(breast_cancer.X_test.drop(columns=["worst area"]))
    assert caught.value.problems == [
        {"pointer": "/worst area", "expected": "number", "got": "missing column"}
    ]


_numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False, width=32))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_numbers, min_size=30, max_size=30), min_size=1, max_size=8))
def test_any_numeric_rows_encode_like_the_frame(bc, breast_cancer, rows):
    names = list(breast_cancer.X_test.columns)
    frame = pd.DataFrame(rows, columns=names).astype(np.float64)
    np.testing.assert_array_equal(
        bc.encode(rows).feeds["input"], bc.encoder.encode_frame(frame).feeds["input"]
    )


def test_records_read_the_same_before_and_after_key_adoption(bc, breast_cancer):
    """The encoder adopts the key objects of a parsed record now and then (a faster lookup);
    records parsed apart, in another key order, or with a bad value still read right."""
    frame = breast_cancer.X_test.head(40)
    expected = bc.encoder.encode_frame(frame).feeds["input"]
    records = frame.to_dict(orient="records")
    for turn in range(2100):  # past two adoptions
        i = turn % len(records)
        record = records[i] if turn % 2 else dict(reversed(list(records[i].items())))
        parsed = orjson.loads(orjson.dumps({"instances": [record]}))
        np.testing.assert_array_equal(bc.encode(parsed).feeds["input"][0], expected[i])
        if turn % 7 == 0:  # several records at once, adopted from the first
            several = orjson.loads(orjson.dumps({"instances": [record, records[0]]}))
            np.testing.assert_array_equal(bc.encode(several).feeds["input"], expected[[i, 0]])
    with pytest.raises(PayloadError) as caught:
        bc.encode([{**records[0], "mean radius": "big"}])
    assert caught.value.problems == [
        {"pointer": "/0/mean radius", "expected": "number", "got": "string"}
    ]


@pytest.mark.parametrize("form", ["one record", "records", "rows"])
def test_a_json_boolean_in_a_number_column_is_named_not_read_as_one(bc, breast_cancer, form):
    record = orjson.loads(orjson.dumps(breast_cancer.X_test.iloc[0].to_dict()))
    record["mean radius"] = True
    if form == "rows":
        payload = {"instances": [list(record.values()), list(record.values())]}
        pointer = "/instances/0/0"
    else:
        payload = {"instances": [record] * (1 if form == "one record" else 3)}
        pointer = "/instances/0/mean radius"
    with pytest.raises(PayloadError) as refused:
        bc.encode(payload)
    assert refused.value.problems[0] == {
        "pointer": pointer,
        "expected": "number",
        "got": "boolean",
    }


def test_a_boolean_frame_column_still_feeds_a_number_column(bc, breast_cancer):
    frame = breast_cancer.X_test.head(3).copy()
    frame["mean radius"] = [True, False, True]
    batch = bc.encoder.encode_frame(frame)
    np.testing.assert_array_equal(batch.feeds["input"][:, 0], [1.0, 0.0, 1.0])


def test_an_int_column_refuses_a_json_boolean():
    with pytest.raises(PayloadError) as refused:
        _mixed_encoder().encode({"instances": [{"age": False, "city": "Oslo"}]})
    assert [p["pointer"] for p in refused.value.problems] == ["/instances/0/age"]
