"""Errors as HTTP answers: which status each failure gets and the JSON body that says why.

Every error body is ``{"error": "<one line>", "request_id": ..., **details}``: the one line
is what a user reads first (and what Open Inference Protocol clients such as ``tritonclient``
show, as that protocol puts the message under ``error``); details are machine-readable
(``problems`` for a payload that does not fit, ``endpoints`` for an unknown endpoint).
Messages name fields, types and shapes, never the payload's values.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelyard.core.errors import ModelyardError, PayloadError
from modelyard.pipeline.batcher import BatchTimeoutError


class HttpError(Exception):
    """A failure with the status and message the client gets."""

    def __init__(
        self, status: int, message: str, *, headers: dict[str, str] | None = None, **details: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]

    def body(self, request_id: str) -> bytes:
        """The JSON error document for this failure."""
        return orjson.dumps({"error": self.message, "request_id": request_id, **self.details})


_NON_JSON_NUMBERS = ("NaN", "Infinity", "-Infinity", "nan", "inf")


def malformed_json(error: orjson.JSONDecodeError) -> HttpError:
    """400 for a body that is not JSON; orjson's message names the position, not the data.

    Python's ``json.dumps`` writes bare ``NaN`` and ``Infinity`` by default, so clients send
    them in good faith; orjson refuses them (they are not JSON), and the message says so.
    """
    message = f"malformed JSON: {error}"
    if error.doc[error.pos : error.pos + 9].startswith(_NON_JSON_NUMBERS):
        message += "; NaN and Infinity are not JSON: send a number or null"
    return HttpError(400, message)


def too_large(size: int, limit: int) -> HttpError:
    """413 for a body over the endpoint's byte limit."""
    return HttpError(413, f"request body of {size} bytes is over the limit of {limit} bytes")


def too_many_instances(count: int, limit: int) -> HttpError:
    """413 for more instances than the endpoint takes in one request."""
    return HttpError(413, f"request has {count} instances, over the limit of {limit}")


def method_not_allowed(allowed: str) -> HttpError:
    """405 with ``Allow``: the path exists, the method does not."""
    message = f"method not allowed; this path takes {allowed}"
    return HttpError(405, message, headers={"allow": allowed})


def unsupported_media_type(accepted: str) -> HttpError:
    """415 naming what the route takes (the type that came is not repeated)."""
    return HttpError(415, f"unsupported Content-Type; this route takes {accepted}")


def unsupported_encoding() -> HttpError:
    """415 with ``Accept-Encoding`` for a compression the server does not undo (RFC 7694)."""
    return HttpError(
        415,
        "unsupported Content-Encoding; send the body uncompressed, gzip or deflate",
        headers={"accept-encoding": "gzip, deflate"},
    )


def unknown_endpoint(known: list[str]) -> HttpError:
    """404 naming what exists, so the caller can fix the URL (never repeating the name that
    was sent: it is the caller's, and may be anything)."""
    listing = ", ".join(known) or "(none)"
    return HttpError(404, f"no endpoint of that name; endpoints: {listing}", endpoints=known)


def from_exception(
    error: BaseException, endpoint: str, request_id: str, *, inferring: bool
) -> HttpError:
    """The HTTP answer for an exception raised while serving ``endpoint``.

    Payload problems are the client's (422), a timeout is 504. Anything else raised while the
    model ran (``inferring``) is a runner failure, 503 with the request id so the log line can
    be found; before that, a modelyard error is the client's (422) and any other is a bug (500).
    """
    if isinstance(error, HttpError):
        return error
    if isinstance(error, PayloadError):
        return HttpError(422, str(error), problems=error.problems)
    if isinstance(error, BatchTimeoutError):
        return HttpError(504, f"endpoint {endpoint!r} did not answer in time")
    see_log = f"see the server log for request id {request_id}"
    if inferring:
        return HttpError(503, f"endpoint {endpoint!r} failed to run the model; {see_log}")
    if isinstance(error, ModelyardError):
        return HttpError(422, str(error))
    return HttpError(500, f"internal error in endpoint {endpoint!r}; {see_log}")
