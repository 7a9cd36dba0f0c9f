"""The Server-Timing value: the batch's half formatted once, or per request after a retry."""

from __future__ import annotations

from modelyard.pipeline.batcher import Ride
from modelyard.serving.timing import batch_part, server_timing

_EXPECTED = (
    b"decode;dur=0.010, validate;dur=0.020, queue;dur=0.300, infer;dur=0.040, "
    b'postprocess;dur=0.050, encode;dur=0.006, batch;desc="rows=3 requests=2"'
)


def test_the_shared_batch_half_and_the_retried_batch_read_the_same() -> None:
    stages = {"infer": 40e-6, "postprocess": 50e-6}
    shared = Ride(300e-6, 3, 2, stages, batch_part(40e-6, 50e-6, 3, 2))
    retried = Ride(300e-6, 3, 2, stages)  # a batch run request by request carries no part
    assert server_timing(10e-6, 20e-6, 6e-6, shared) == _EXPECTED
    assert server_timing(10e-6, 20e-6, 6e-6, retried) == _EXPECTED
