"""The tensor encoder reads values strictly by datatype and casts only what keeps its value:
integer ranges, booleans, strings (JSON and binary) and missing values where the signature
allows them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from modelyard.core.errors import PayloadError
from modelyard.package.manifest import (
    ColumnSpec,
    Signature,
    TensorSpec,
)
from modelyard.pipeline.encoders.tensor import TensorArgs, TensorEncoder
from modelyard.pipeline.types import Context


def _encoder(dtype: str, width: int = 2, columns: list[ColumnSpec] | None = None) -> TensorEncoder:
    signature = Signature(
        inputs=[TensorSpec(name="x", dtype=dtype, shape=[None, width])],  # type: ignore[arg-type]
        outputs=[],
        columns=columns or [],
    )
    return TensorEncoder(TensorArgs(), Context(signature=signature, name="m"))


def _tensor(datatype: str, data: Any, shape: list[int] | None = None) -> dict[str, Any]:
    return {"inputs": [{"name": "x", "shape": shape or [1, 2], "datatype": datatype, "data": data}]}


def _problem(encoder: TensorEncoder, payload: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(PayloadError) as caught:
        encoder.encode(payload)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_a_narrower_integer_datatype_feeds_an_int64_input() -> None:
    batch = _encoder("int64").encode(_tensor("INT32", [1, -2]))
    assert batch.feeds["x"].dtype == np.int64
    assert batch.feeds["x"].tolist() == [[1, -2]]


@pytest.mark.parametrize(
    ("dtype", "datatype", "data", "expected"),
    [
        ("int64", "UINT64", [2**63, 0], "integers in the INT64 range"),
        ("uint8", "INT64", [300, 0], "integers in the UINT8 range"),
        ("uint8", "INT8", [-1, 0], "integers in the UINT8 range"),
    ],
)
def test_integers_that_do_not_fit_the_input_are_refused(
    dtype: str, datatype: str, data: list[int], expected: str
) -> None:
    assert _problem(_encoder(dtype), _tensor(datatype, data)) == {
        "pointer": "/inputs/0/data", "expected": expected, "got": "integers outside that range"
    }  # fmt: skip


def test_floats_never_feed_an_integer_input() -> None:
    assert _problem(_encoder("uint8"), _tensor("FP32", [1.0, 2.0])) == {
        "pointer": "/inputs/0/datatype", "expected": "UINT8", "got": "FP32"
    }  # fmt: skip


def test_booleans_only_as_bool() -> None:
    batch = _encoder("bool").encode(_tensor("BOOL", [True, False]))
    assert batch.feeds["x"].tolist() == [[True, False]]
    assert _problem(_encoder("bool"), _tensor("BOOL", [1, 0])) == {
        "pointer": "/inputs/0/data/0", "expected": "booleans", "got": "integer"
    }  # fmt: skip


def test_binary_bytes_are_read_as_utf8_text_like_json_strings() -> None:
    as_json = _encoder("string").encode(_tensor("BYTES", ["grün", "red"]))
    as_binary = _encoder("string").encode(_tensor("BYTES", ["grün".encode(), b"red"]))
    assert as_json.feeds["x"].tolist() == as_binary.feeds["x"].tolist() == [["grün", "red"]]


def test_a_nested_value_is_pointed_at_through_the_nesting() -> None:
    assert _problem(_encoder("float32"), _tensor("FP32", [[1.0, "a"]])) == {
        "pointer": "/inputs/0/data/0/1", "expected": "numbers", "got": "string"
    }  # fmt: skip


def test_binary_doubles_beyond_float32_are_refused() -> None:
    payload = _tensor("FP64", np.array([1e300, 1.0]))
    assert _problem(_encoder("float32"), payload) == {
        "pointer": "/inputs/0/data/0",
        "expected": "finite numbers",
        "got": "an infinity or a number beyond float32",
    }


def test_an_integer_beyond_any_float_is_refused() -> None:
    assert _problem(_encoder("float32"), _tensor("INT64", [1, 2**1024])) == {
        "pointer": "/inputs/0/data",
        "expected": "integers in the INT64 range",
        "got": "an integer beyond the INT64 range",
    }
    assert _problem(_encoder("float64"), _tensor("FP64", [1, 2**1024])) == {
        "pointer": "/inputs/0/data",
        "expected": "finite numbers",
        "got": "an integer beyond float64",
    }


def test_null_becomes_nan_only_in_the_column_that_had_gaps() -> None:
    columns = [
        ColumnSpec(name="a", dtype="float64"),
        ColumnSpec(name="b", dtype="float64", missing=True),
    ]
    encoder = _encoder("float32", columns=columns)
    batch = encoder.encode(_tensor("FP32", [1.0, None]))
    assert np.isnan(batch.feeds["x"][0, 1]) and batch.feeds["x"][0, 0] == 1.0
    assert _problem(encoder, _tensor("FP32", [None, 1.0])) == {
        "pointer": "/inputs/0/data/0",
        "expected": "finite numbers",
        "got": "null or NaN, and the training data had no missing values here",
    }


def test_without_a_missing_column_null_is_refused_everywhere() -> None:
    assert _problem(_encoder("float32"), _tensor("FP32", [1.0, None])) == {
        "pointer": "/inputs/0/data/1", "expected": "numbers", "got": "null"
    }  # fmt: skip


def test_rows_must_agree_across_inputs() -> None:
    signature = Signature(
        inputs=[
            TensorSpec(name="a", dtype="float32", shape=[None, 1]),
            TensorSpec(name="b", dtype="float32", shape=[None, 1]),
        ],
        outputs=[],
    )
    encoder = TensorEncoder(TensorArgs(), Context(signature=signature, name="m"))
    payload = {
        "inputs": [
            {"name": "a", "shape": [1, 1], "datatype": "FP32", "data": [1.0]},
            {"name": "b", "shape": [2, 1], "datatype": "FP32", "data": [1.0, 2.0]},
        ]
    }
    assert _problem(encoder, payload) == {
        "pointer": "/inputs", "expected": "the same first dimension", "got": "first dimensions 1, 2"
    }  # fmt: skip
