"""The request path's capture: sampling decisions, the bounded buffer, the image byte budget."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from modelyard.monitoring.capture import IMAGE_BYTES_BUDGET, Capture
from modelyard.pipeline.spec import Logging

FEEDS = {"input": np.zeros((1, 4), np.float32)}
ANSWER = [{"label": 1}]


def _answer(capture: Capture, request_id: str, key: bytes | None = None, size: int = 0) -> None:
    capture.answered(key, None, request_id, 0.001, FEEDS, ANSWER, size)


def test_header_sampling_follows_the_crc32_of_the_key() -> None:
    capture = Capture("e", Logging(sample_rate=0.3, sample_by="header:X-User-Id"))
    keys = [f"user-{i}".encode() for i in range(200)]
    for key in keys:
        for n in range(3):
            _answer(capture, f"{key.decode()}/{n}", key)
    kept = {record.request_id.split("/")[0].encode() for record in capture.take()}
    assert kept == {key for key in keys if zlib.crc32(key) < 0.3 * 2**32}
    assert 20 < len(kept) < 100


def test_a_request_without_the_sampling_header_is_sampled_at_random() -> None:
    capture = Capture("e", Logging(sample_rate=1.0, sample_by="header:X-User-Id"))
    _answer(capture, "no-key")
    assert [record.request_id for record in capture.take()] == ["no-key"]


def test_a_full_buffer_drops_and_counts_and_take_returns_the_oldest_first() -> None:
    capture = Capture("e", Logging(sample_rate=1.0, buffer=100))
    for n in range(130):
        _answer(capture, str(n))
    assert capture.dropped == 30
    assert [record.request_id for record in capture.take()] == [str(n) for n in range(100)]
    _answer(capture, "after")  # room again once the writer took them
    assert [record.request_id for record in capture.take()] == ["after"]


def test_failures_are_kept_by_keep_errors_whatever_the_rate() -> None:
    kept = Capture("e", Logging(sample_rate=0.0))
    dropped = Capture("e", Logging(sample_rate=1.0, keep_errors=False))
    for capture in (kept, dropped):
        capture.failed(None, "bad", 422, 0.001, "/instances/0/x: expected number, got string")
    (record,) = kept.take()
    assert (record.status, record.error, record.inputs) == (
        422, "/instances/0/x: expected number, got string", None,
    )  # fmt: skip
    assert dropped.take() == []


def test_image_bodies_waiting_for_the_writer_are_held_to_the_byte_budget() -> None:
    capture = Capture("e", Logging(sample_rate=1.0), image=True)
    size = IMAGE_BYTES_BUDGET // 4
    for n in range(6):
        _answer(capture, str(n), size=size)
    assert capture.dropped == 2
    assert len(capture.take()) == 4
    _answer(capture, "after", size=size)  # taken bodies no longer count
    assert capture.dropped == 2


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_random_sampling_keeps_about_the_rate(rate: float) -> None:
    capture = Capture("e", Logging(sample_rate=rate, buffer=100_000))
    for n in range(20_000):
        _answer(capture, str(n))
    kept = len(capture.take())
    spread = (20_000 * rate * (1 - rate)) ** 0.5
    assert abs(kept - 20_000 * rate) < 5 * spread
