"""Property tests: whatever document or bytes arrive, reading a V2 request ends in a tensor
batch, a 400 or a 422, never another exception (which the server would answer 500)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modelyard.core.errors import PayloadError
from modelyard.package.manifest import Signature, TensorSpec
from modelyard.pipeline.dtypes import OIP_NUMPY
from modelyard.pipeline.encoders.tensor import TensorArgs, TensorEncoder
from modelyard.pipeline.types import Context
from modelyard.serving import v2_request
from modelyard.serving.errors import HttpError

SIGNATURE = Signature(
    inputs=[
        TensorSpec(name="numbers", dtype="float32", shape=[None, 3]),
        TensorSpec(name="counts", dtype="uint8", shape=[None, 1]),
        TensorSpec(name="colour", dtype="string", shape=[None, 1]),
    ],
    outputs=[TensorSpec(name="label", dtype="int64", shape=[None])],
)
ENCODER = TensorEncoder(TensorArgs(), Context(signature=SIGNATURE, name="m"))
NAMES = ["numbers", "counts", "colour", "other"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
tensors = st.fixed_dictionaries(
    {
        "name": st.sampled_from(NAMES) | documents,
        "datatype": st.sampled_from([*OIP_NUMPY, "FP8"]) | documents,
        "shape": st.lists(st.integers(-2, 4) | st.booleans(), max_size=3) | documents,
        "data": st.lists(scalars, max_size=8)
        | st.lists(st.lists(scalars, max_size=3), max_size=3)
        | documents,
    },
    optional={"parameters": documents},
)
requests = st.fixed_dictionaries(
    {"inputs": st.lists(tensors, max_size=4)},
    optional={
        "id": documents,
        "parameters": documents,
        "outputs": st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["label", "x"])}) | documents,
            max_size=2,
        )
        | documents,
    },
)


def _read(body: bytes, header_length: bytes | None) -> None:
    try:
        request = v2_request.parse(body, header_length)
        if request.get("outputs"):
            v2_request.check_requested(request, ["label"])
        batch = ENCODER.encode(request)
    except HttpError as error:
        assert error.status == 400
    except PayloadError as error:
        assert error.problems, "a 422 names at least one field"
    else:
        assert batch.rows >= 1
        assert {name: array.dtype for name, array in batch.feeds.items()} == {
            "numbers": np.float32, "counts": np.uint8, "colour": np.dtype(object)
        }  # fmt: skip
        assert np.isfinite(batch.feeds["numbers"]).all()


VALID = {
    "inputs": [
        {"name": "numbers", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},
        {"name": "counts", "shape": [2, 1], "datatype": "UINT8", "data": [0, 255]},
        {"name": "colour", "shape": [2, 1], "datatype": "BYTES", "data": ["red", "grün"]},
    ],
    "outputs": [{"name": "label"}],
}


def test_a_well_formed_request_reads_to_a_batch() -> None:
    """The success branch the properties below check is reachable, not only the refusals."""
    batch = ENCODER.encode(v2_request.parse(json.dumps(VALID).encode(), None))
    assert batch.rows == 2
    assert batch.feeds["colour"].tolist() == [["red"], ["grün"]]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(VALID)
@given(requests | documents)
def test_any_json_document_is_a_batch_a_400_or_a_422(document: Any) -> None:
    _read(json.dumps(document, allow_nan=False).encode(), None)


@settings(max_examples=300, deadline=None)
@given(requests, st.binary(max_size=64), st.lists(st.integers(-1, 40), max_size=3))
def test_any_binary_framing_is_a_batch_a_400_or_a_422(
    document: dict[str, Any], tail: bytes, sizes: list[int]
) -> None:
    for tensor, size in zip(document["inputs"], sizes, strict=False):
        tensor.pop("data", None)
        tensor["parameters"] = {"binary_data_size": size}
    header = json.dumps(document, allow_nan=False).encode()
    _read(header + tail, str(len(header)).encode())
