"""The few raw ASGI pieces the predict hot path needs: headers, body, answer.

The predict routes skip FastAPI's per-request machinery (a FastAPI route costs about half the
throughput of a raw ASGI app here, see NOTES.md); these helpers are all they use instead.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
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
_ID_PREFIX = os.urandom(6).hex()
_ID_COUNTER = count(1)


class ClientDisconnectedError(Exception):
    """The client went away before its request body was complete."""


class RequestHeaders:
    """The headers the predict path reads, found in one pass over the scope."""

    __slots__ = ("content_encoding", "content_length", "content_type", "extra", "request_id")

    def __init__(self, scope: Scope, *, extra: bytes | None = None) -> None:
        self.content_type = b""
        self.content_length: int | None = None
        self.content_encoding: bytes | None = None
        self.request_id: str | None = None
        self.extra: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                self.content_type = value
            elif name == b"content-length":
                self.content_length = int(value) if value.isdigit() else None
            elif name == b"x-request-id":
                if 0 < len(value) <= _REQUEST_ID_MAX and value.isascii():
                    self.request_id = value.decode()
            elif name == extra:
                self.extra = value
            elif name == b"content-encoding" and value.lower() != b"identity":
                self.content_encoding = value.lower()
        if self.request_id is None:
            self.request_id = f"{_ID_PREFIX}-{next(_ID_COUNTER)}"


async def read_body(receive: Receive, limit: int, declared: int | None) -> bytes:
    """The whole request body, refusing (413) before reading once it passes ``limit`` bytes."""
    if declared is not None and declared > limit:
        raise too_large(declared, limit)
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


async def respond_error(send: Send, error: HttpError, request_id: str) -> None:
    """Send ``error`` as its JSON document with the request id header."""
    headers = [(b"content-type", JSON), (b"x-request-id", request_id.encode()), *error.headers]
    await respond(send, error.status, error.body(request_id), headers)
