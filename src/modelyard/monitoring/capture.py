"""The request path's side of the prediction log: decide, append one tuple, return.

A predict request that reaches the log costs one sampling decision and one ``deque.append``
of references it already holds (its validated arrays, its answer): no I/O, no lock, no
conversion, no copy. The writer thread (:mod:`modelyard.monitoring.writer`) takes what is
buffered, converts and writes it. ``deque.append`` on the event loop and ``popleft`` in the
writer are each atomic, so the two threads share the buffer without a lock.

When the buffer holds ``logging.buffer`` records, or the image bodies waiting in it pass
:data:`IMAGE_BYTES_BUDGET`, a record is dropped and counted: a burst never blocks, fails or
grows a request's memory. Every counter here is written by one thread only (the loop or the
writer), so none needs a lock either.
"""

from __future__ import annotations

import random
import time
import zlib
from collections import deque
from typing import Any, NamedTuple

from modelyard.pipeline.spec import Logging

IMAGE_BYTES_BUDGET = 64 * 1024 * 1024
"""Image bodies held for the writer at most (bytes): at 1 MB an image, 64 waiting requests."""

_HASH_RANGE = 2**32


class Record(NamedTuple):
    """One logged request, as the request path knew it (references, nothing converted).

    ``variant`` is the variant that answered (``None`` when the request failed before one
    was chosen); ``inputs`` the validated feeds (tabular) or the decoded payload (image);
    ``answer`` the predictions (native) or the raw output rows (V2).
    """

    time: float
    request_id: str
    variant: Any
    status: int
    latency_s: float
    inputs: Any
    answer: Any
    error: str | None
    body_bytes: int
    """The size of an image request's body (held until the writer hashes it), else 0."""


class Capture:
    """One endpoint's sampling rule and bounded buffer."""

    __slots__ = (
        "_threshold",
        "buffer",
        "capacity",
        "dropped",
        "endpoint",
        "image",
        "image_bytes_in",
        "image_bytes_out",
        "keep_errors",
        "rate",
        "sample_header",
        "settings",
    )

    def __init__(self, endpoint: str, settings: Logging, *, image: bool = False) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.rate = settings.sample_rate
        self.keep_errors = settings.keep_errors
        self.sample_header = (
            settings.sample_header.encode() if settings.sample_header is not None else None
        )
        self._threshold = int(self.rate * _HASH_RANGE)
        self.capacity = settings.buffer
        self.image = image
        """Whether inputs are image payloads (logged as digest and size, never pixels)."""
        self.buffer: deque[Record] = deque()
        self.dropped = 0
        """Records dropped on the request path (buffer full); loop thread only."""
        self.image_bytes_in = 0
        """Image body bytes ever appended (loop thread only)."""
        self.image_bytes_out = 0
        """Image body bytes the writer has taken (writer thread only)."""

    def sampled(self, key: bytes | None) -> bool:
        """Whether a successful request goes to the log.

        ``random``: one ``random()`` against the rate. ``header:NAME``: the CRC-32 of the
        header's value below ``rate * 2**32``, so every replica keeps the same keys; a
        request without the header is sampled at random.
        """
        if self.sample_header is not None and key is not None:
            return zlib.crc32(key) < self._threshold
        return random.random() < self.rate

    def answered(
        self, key: bytes | None, variant: Any, request_id: str, latency_s: float,
        inputs: Any, answer: Any, body_bytes: int,
    ) -> None:  # fmt: skip
        """A successful request: logged when sampled (``key``: the sampling header's value)."""
        if self.sampled(key):
            self.add(
                Record(time.time(), request_id, variant, 200, latency_s, inputs, answer, None,
                       body_bytes if self.image else 0)
            )  # fmt: skip

    def failed(
        self, variant: Any, request_id: str, status: int, latency_s: float, error: str | None
    ) -> None:
        """A failed request: logged when ``keep_errors`` (whatever the sampling)."""
        if self.keep_errors:
            self.add(Record(time.time(), request_id, variant, status, latency_s, None, None,
                            error, 0))  # fmt: skip

    def add(self, record: Record) -> None:
        """Append ``record``, or drop and count it when the buffer or the byte budget is full."""
        size = record.body_bytes
        if len(self.buffer) >= self.capacity or (
            size and self.image_bytes_in - self.image_bytes_out + size > IMAGE_BYTES_BUDGET
        ):
            self.dropped += 1
            return
        self.image_bytes_in += size
        self.buffer.append(record)

    def take(self) -> list[Record]:
        """Everything buffered now, oldest first (writer thread)."""
        buffer = self.buffer
        taken = [buffer.popleft() for _ in range(len(buffer))]
        if self.image:
            self.image_bytes_out += sum(record.body_bytes for record in taken)
        return taken
