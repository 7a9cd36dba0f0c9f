"""The few raw ASGI pieces the predict hot path needs: headers, body, answer.

The predict routes skip FastAPI's per-request machinery (a FastAPI route costs about half the
throughput of a raw ASGI app here, see NOTES.md); these helpers are all they use instead.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from itertools import count
from typing import Any

from modelyard.serving.errors import HttpError, too_large

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON = b"application/json"
_REQUEST_ID_MAX = 128
# A random per-process prefix plus a counter: unique across workers and restarts, and about
# ten times cheaper than uuid4 on the hot path.
_ID_PREFIX = os.urandom(6).hex()
_ID_COUNTER = count(1)


class ClientDisconnectedError(Exception):
    """The client went away before its request body was complete."""


class RequestHeaders:
    """The headers the predict path reads, found in one pass over the scope."""

    __slots__ = ("authorization", "content_length", "content_type", "extra", "request_id")

    def __init__(self, scope: Scope, *, extra: bytes | None = None) -> None:
        self.content_type = b""
        self.content_length: int | None = None
        self.request_id: str | None = None
        self.authorization: bytes | None = None
        self.extra: bytes | None = None
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


async def respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """Send a complete answer; ``headers`` must not hold content-length."""
    headers.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def respond_error(send: Send, error: HttpError, request_id: str) -> None:
    """Send ``error`` as its JSON document with the request id header."""
    await respond(
        send,
        error.status,
        error.body(request_id),
        [(b"content-type", JSON), (b"x-request-id", request_id.encode())],
    )
