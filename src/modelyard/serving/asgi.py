"""The few raw ASGI pieces the predict hot path needs: headers, body, answer.

The predict routes skip FastAPI's per-request machinery (a FastAPI route costs about half the
throughput of a raw ASGI app here, see NOTES.md); these helpers are all they use instead.
"""

from __future__ import annotations

import asyncio
import os
import time
import zlib
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from itertools import count
from typing import Any

from modelyard.serving.errors import HttpError, too_large, unsupported_encoding

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON = b"application/json"
_REQUEST_ID_MAX = 128
# zlib window bits of each Content-Encoding undone before decoding (tritonclient sends both).
_WBITS = {b"gzip": 16 + zlib.MAX_WBITS, b"deflate": zlib.MAX_WBITS}
# A random per-process prefix plus a counter: unique across workers and restarts, and about
# ten times cheaper than uuid4 on the hot path.
ID_PREFIX = os.urandom(6).hex()
_ID_COUNTER = count(1)


class ClientDisconnectedError(Exception):
    """The client went away before its request body was complete."""


class RequestHeaders:
    """The headers the predict path reads, found in one pass over the scope."""

    __slots__ = (
        "authorization",
        "content_encoding",
        "content_length",
        "content_type",
        "extra",
        "number",
        "request_id",
        "sample",
        "sticky",
    )

    def __init__(
        self,
        scope: Scope,
        *,
        extra: bytes | None = None,
        sticky: bytes | None = None,
        sample: bytes | None = None,
    ) -> None:
        self.content_type = b""
        self.content_length: int | None = None
        self.content_encoding: bytes | None = None
        self.request_id: str | None = None
        self.authorization: bytes | None = None
        self.extra: bytes | None = None
        self.sticky: bytes | None = None
        """The value of the endpoint's sticky-routing header (an A/B test's user key)."""
        self.sample: bytes | None = None
        """The value of the header the prediction log samples by (``sample_by: header:X``)."""
        for name, value in scope["headers"]:
            if name == b"content-type":
                self.content_type = value
            elif name == b"content-length":
                self.content_length = int(value) if value.isdigit() else None
            elif name == b"x-request-id":
                if 0 < len(value) <= _REQUEST_ID_MAX and value.isascii():
                    self.request_id = value.decode()
            elif name == b"authorization":
                self.authorization = value
            elif name == extra:
                self.extra = value
            elif name == b"content-encoding" and value.lower() != b"identity":
                self.content_encoding = value.lower()
            elif name == sticky:
                self.sticky = value
            if name == sample:  # may be the sticky header too
                self.sample = value
        self.number: int | None = None
        """The request's number when its id is the server's own (``ID_PREFIX-number``)."""
        if self.request_id is None:
            self.number = next(_ID_COUNTER)
            self.request_id = f"{ID_PREFIX}-{self.number}"


class BodyDeadlines:
    """The requests still reading their body, each with the time by which it must be read.

    A client that sends headers and then stalls (or trickles its body) would hold a request
    slot for ever. A timer per request costs about 5 µs on uvloop, which a predict request
    cannot afford; instead a request enters a dict while it reads (two dict operations), and
    one timer, armed only while some request is reading, sweeps it every ``timeout_s / 4``
    (at most a second) and cancels the readers past their deadline. So a stalled body is
    answered 408 between ``timeout_s`` and ``timeout_s`` plus one sweep period.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._period = min(1.0, timeout_s / 4)
        self._reading: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.TimerHandle | None = None

    def start(self) -> asyncio.Task[Any]:
        """The current task begins reading a body; returns it for :meth:`stop`."""
        task = asyncio.current_task()
        assert task is not None
        self._reading[task] = time.monotonic() + self.timeout_s
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(self._period, self._sweep)
        return task

    def stop(self, task: asyncio.Task[Any]) -> None:
        """``task`` finished reading (or failed to)."""
        self._reading.pop(task, None)

    def expired(self, task: asyncio.Task[Any]) -> bool:
        """Whether ``task`` was cancelled by this sweep (and not by a shutdown); forgets it."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return True

    def _sweep(self) -> None:
        self._sweeper = None
        now = time.monotonic()
        late = [task for task, deadline in self._reading.items() if deadline <= now]
        for task in late:
            del self._reading[task]
            self._expired.add(task)
            task.cancel()
        if self._reading:
            self._sweeper = asyncio.get_running_loop().call_later(self._period, self._sweep)


def body_timeout(timeout_s: float) -> HttpError:
    """408 for a body that did not arrive in time; the rest of it may still come, or never,
    so the connection is closed after the answer."""
    return HttpError(
        408,
        f"request body not received within {timeout_s:g} s",
        headers={"connection": "close"},
    )


async def read_body(
    receive: Receive, limit: int, declared: int | None, deadlines: BodyDeadlines
) -> bytes:
    """The whole request body, refusing (413) before reading once it passes ``limit`` bytes,
    and (408) when it is not all there within ``deadlines.timeout_s``."""
    if declared is not None and declared > limit:
        raise too_large(declared, limit)
    task = deadlines.start()
    try:
        message = await receive()
        body: bytes = message.get("body", b"")
        if message["type"] == "http.disconnect":
            raise ClientDisconnectedError
        if not message.get("more_body", False):
            if len(body) > limit:
                raise too_large(len(body), limit)
            return body
        chunks = [body]
        size = len(body)
        while message.get("more_body", False):
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnectedError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(size, limit)
            chunks.append(chunk)
        return b"".join(chunks)
    except asyncio.CancelledError:
        if not deadlines.expired(task):
            raise
        task.uncancel()
        raise body_timeout(deadlines.timeout_s) from None
    finally:
        deadlines.stop(task)


def inflate(body: bytes, encoding: bytes, limit: int) -> bytes:
    """``body`` decompressed (gzip or deflate), refused (413) once past ``limit`` bytes.

    ``max_length`` stops zlib at the limit, so a small bomb never grows in memory.
    """
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise unsupported_encoding()
    inflater = zlib.decompressobj(wbits)
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise HttpError(400, "malformed compressed body: it does not decompress") from None
    if len(inflated) > limit:
        raise HttpError(413, f"decompressed request body is over the limit of {limit} bytes")
    if not inflater.eof:
        raise HttpError(400, "malformed compressed body: it ends before the compressed stream")
    return inflated


async def respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """Send a complete answer; ``headers`` must not hold content-length."""
    headers.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def respond_error(
    send: Send, error: HttpError, request_id: str, also: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Send ``error`` as its JSON document with the request id header, its own headers, and
    ``also`` (the model and variant that refused, once the request was routed)."""
    headers = [
        (b"content-type", JSON),
        (b"x-request-id", request_id.encode()),
        *error.headers,
        *also,
    ]
    await respond(send, error.status, error.body(request_id), headers)
