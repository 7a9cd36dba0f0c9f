"""What a failed call raises: one exception class per kind of failure, all ``ClientError``.

The hierarchy follows what the caller does next::

    ClientError                  anything that kept a call from its answer
    ├── RequestRefused           4xx: the request must change before it can succeed
    │   ├── BadRequest           400 malformed, and any 4xx not named below (405, 408, 415)
    │   │   └── InvalidInput     422 the payload does not fit the model (see ``problems``)
    │   ├── Unauthorized         401 no bearer token, or an unknown or revoked one
    │   ├── Forbidden            403 the token's role may not call this route
    │   ├── NotFound             404 no such endpoint, model, version or request id
    │   ├── Conflict             409 e.g. a reward already credited for that request
    │   └── TooLarge             413 too many bytes or instances for the endpoint
    ├── ServerError              5xx: the server failed; the same request may succeed later
    │   ├── Unavailable          503 retried first, raised once the retries are spent
    │   └── ServerTimeout        504 the model did not answer in time (also a Timeout)
    ├── Timeout                  no answer within the client's timeout
    └── ConnectionFailed         no connection, or it broke before the answer (retried first)

Each carries the HTTP ``status`` (``None`` without an answer), the server's one-line
``message``, the field ``problems`` of a payload that does not fit, and the ``request_id``
to find the server's log line by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson


@dataclass(frozen=True)
class Problem:
    """One field of a request that the server refused, and why (never the value sent)."""

    pointer: str
    """Where, as a JSON pointer into the request body (``/instances/0/mean radius``)."""
    problem: str
    """What is wrong there (``expected number, got string``)."""


class ClientError(Exception):
    """A call that did not get its answer: the status, the server's message and the details."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problems: tuple[Problem, ...] = (),
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = problems
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message if self.status is None else f"HTTP {self.status}: {self.message}"


class RequestRefused(ClientError):
    """4xx: the server refused the request as sent; sending it again changes nothing."""


class BadRequest(RequestRefused):
    """400 (a malformed body), or a 4xx without a class of its own (405, 408, 415)."""


class InvalidInput(BadRequest):
    """422: the payload does not fit the endpoint's signature; ``problems`` names each field."""


class Unauthorized(RequestRefused):
    """401: the route needs a bearer token and none, or an unknown or revoked one, came."""


class Forbidden(RequestRefused):
    """403: the token is valid but its role may not call the route."""


class NotFound(RequestRefused):
    """404: no endpoint, model or version of that name, or an unknown request id."""


class Conflict(RequestRefused):
    """409: the request contradicts what the server already holds."""


class TooLarge(RequestRefused):
    """413: more bytes or instances than the endpoint takes in one request."""


class ServerError(ClientError):
    """5xx: the server failed to answer; the request itself may be fine."""


class Unavailable(ServerError):
    """503: the model failed to run or the server is not ready; retried before raised."""


class Timeout(ClientError):
    """No answer in time: the client's timeout passed (or, as ``ServerTimeout``, the
    server's)."""


class ServerTimeout(ServerError, Timeout):
    """504: the model did not answer within the server's timeout."""


class ConnectionFailed(ClientError):
    """No connection to the server, or it broke before the answer came."""


_BY_STATUS: dict[int, type[ClientError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    422: InvalidInput,
    503: Unavailable,
    504: ServerTimeout,
}


def _kind(status: int) -> type[ClientError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 400 <= status < 500:
        return BadRequest
    if status >= 500:
        return ServerError
    return ClientError  # e.g. a redirect, which the client does not follow


def _problems(listed: Any) -> tuple[Problem, ...]:
    """The server's ``problems``: ``{pointer, problem}``, or ``{pointer, expected, got}``
    for a payload that does not fit the signature."""
    if not isinstance(listed, list):
        return ()
    found = []
    for item in listed:
        if not isinstance(item, dict):
            continue
        text = item.get("problem") or f"expected {item.get('expected')}, got {item.get('got')}"
        found.append(Problem(str(item.get("pointer", "")), str(text)))
    return tuple(found)


def from_response(response: httpx.Response) -> ClientError:
    """The exception for an answer that is not a success.

    The server's error document is ``{"error", "request_id", "problems"?}``; an answer
    without one (a proxy's page) keeps its status and reason phrase.
    """
    status = response.status_code
    try:
        document = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("error"), str):
        document = {"error": response.reason_phrase or "no message"}
    request_id = response.headers.get("x-request-id") or document.get("request_id")
    return _kind(status)(
        document["error"],
        status=status,
        problems=_problems(document.get("problems")),
        request_id=request_id,
    )


def from_transport(error: httpx.TransportError, url: str) -> ClientError:
    """The exception for a call that got no answer from ``url``."""
    if isinstance(error, httpx.TimeoutException) and not isinstance(error, httpx.ConnectTimeout):
        return Timeout(f"no answer from {url} within the timeout")
    return ConnectionFailed(f"could not reach {url}: {error or type(error).__name__}")
