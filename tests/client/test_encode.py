"""What the client sends for each form of input, and how it reads headers, without a server:
the forms a call refuses before sending anything, with the message the caller reads."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest

from modelyard.client import Client
from modelyard.client.answers import timings
from modelyard.client.encode import datatype, inference_request, instances, numpy_dtype

FORMS = "records (a list of dicts), rows (a list of lists), a pandas DataFrame or a 2-D numpy array"


def test_a_dataframe_is_sent_as_records_with_missing_values_as_null() -> None:
    frame = pd.DataFrame({"a": [1.5, np.nan], "b": ["x", "y"], 3: [True, False]})
    assert orjson.loads(instances(frame)) == {
        "instances": [{"a": 1.5, "b": "x", "3": True}, {"a": None, "b": "y", "3": False}]
    }


def test_an_array_is_sent_as_rows() -> None:
    array = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert orjson.loads(instances(array)) == {"instances": [[0, 1, 2], [3, 4, 5]]}
    strings = np.array([["a", "b"]])
    assert orjson.loads(instances(strings)) == {"instances": [["a", "b"]]}


def test_a_1d_array_is_refused_with_how_to_reshape_it() -> None:
    with pytest.raises(ValueError) as raised:
        instances(np.zeros(30))
    assert str(raised.value) == (
        "a numpy array of instances must be 2-D (one row per instance), not 1-D; "
        "reshape one instance with array.reshape(1, -1)"
    )


@pytest.mark.parametrize("given", [{"a": 1}, "rows", [1.0, 2.0], 3])
def test_other_forms_of_instances_are_refused_naming_the_forms(given: object) -> None:
    with pytest.raises(TypeError) as raised:
        Client("http://127.0.0.1:1").predict("e", given)
    assert str(raised.value) == f"instances must be {FORMS}, not {type(given).__name__}"


def test_v2_inputs_carry_their_datatype_and_shape() -> None:
    document = orjson.loads(inference_request({"input": [[1, 2], [3, 4]]}, ["label"]))
    assert document == {
        "inputs": [{"name": "input", "shape": [2, 2], "datatype": "INT64", "data": [1, 2, 3, 4]}],
        "outputs": [{"name": "label"}],
    }


def test_other_forms_of_v2_inputs_are_refused() -> None:
    with pytest.raises(TypeError) as raised:
        inference_request(np.zeros((1, 3)), None)
    assert str(raised.value) == (
        "inputs must be a dict of input name to array, or a list of V2 input dicts "
        '({"name", "shape", "datatype", "data"}), not ndarray'
    )


@pytest.mark.parametrize(
    ("dtype", "name"),
    [
        ("float32", "FP32"),
        ("float64", "FP64"),
        ("int8", "INT8"),
        ("uint16", "UINT16"),
        ("bool", "BOOL"),
        ("<U3", "BYTES"),
        ("object", "BYTES"),
    ],
)
def test_numpy_dtypes_and_v2_datatypes_map_both_ways(dtype: str, name: str) -> None:
    assert datatype(np.dtype(dtype)) == name
    if dtype != "<U3":
        assert numpy_dtype(name) == np.dtype(dtype)


def test_a_dtype_without_a_v2_datatype_is_refused() -> None:
    with pytest.raises(TypeError) as raised:
        datatype(np.dtype("complex64"))
    assert str(raised.value) == "numpy dtype complex64 has no Open Inference Protocol datatype"


def test_server_timing_is_read_into_stages_and_batch() -> None:
    header = (
        "decode;dur=0.012, validate;dur=0.020, queue;dur=0.150, infer;dur=0.031, "
        'postprocess;dur=0.022, encode;dur=0.003, batch;desc="rows=18 requests=7"'
    )
    read = timings(header)
    assert dict(read.stages) == {"decode": 0.012, "validate": 0.020, "queue": 0.150,
                                 "infer": 0.031, "postprocess": 0.022, "encode": 0.003}  # fmt: skip
    assert (read.batch_rows, read.batch_requests) == (18, 7)
    assert read.total_ms == pytest.approx(0.238)
    assert timings(None).stages == {} and timings(None).batch_rows is None


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "localhost:8000", "ftp://host"])
def test_a_url_without_http_is_refused_at_once(url: str) -> None:
    with pytest.raises(ValueError) as raised:
        Client(url)
    assert str(raised.value) == (
        "url must start with http:// or https://, e.g. http://127.0.0.1:8000"
    )
