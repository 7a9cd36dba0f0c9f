"""One call from its first try to its answer or its error, whatever sends the bytes.

An :class:`Exchange` is told what each try came back with (an answer, or the transport's
exception) and says whether to send again and after how long; the sync and the async client
only send and sleep. So the rules below exist once:

- a success is read into the call's typed answer;
- a 503, and a connection refused before the request left, are tried again (within the
  retry bounds, waiting what ``Retry-After`` says when the server says it);
- a connection that broke after the request left is tried again only for an idempotent call
  (the server may have acted on it);
- anything else (every other 4xx, other 5xx, a timeout) raises at once.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import httpx
import orjson

from modelyard.client import errors
from modelyard.client.calls import Call
from modelyard.client.retry import Attempts, Retry, retry_after

T = TypeVar("T")

Outcome = httpx.Response | httpx.TransportError
"""What one try came back with."""

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
"""The request never left: no server can have acted on it."""
_BROKEN = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
"""The connection broke (reset, closed) after the request may have left."""


class Exchange(Generic[T]):
    """The tries of one call."""

    def __init__(self, call: Call[T], request: httpx.Request, retry: Retry) -> None:
        self.call = call
        self.request = request
        """What to send (the same request on every try)."""
        self._attempts = Attempts(retry)
        self._answer: T | None = None

    def settle(self, outcome: Outcome) -> float | None:
        """``None`` once the answer is in (see :meth:`answer`), else the seconds to wait
        before sending :attr:`request` again; raises the call's ``ClientError`` when it ends
        in failure."""
        if isinstance(outcome, httpx.Response):
            if outcome.is_success:
                self._answer = self._read(outcome)
                return None
            error = errors.from_response(outcome)
            again = outcome.status_code == 503
            hint = retry_after(outcome.headers.get("retry-after")) if again else None
        else:
            error = errors.from_transport(outcome, str(self.request.url))
            again = isinstance(outcome, _NOT_SENT) or (
                self.call.idempotent and isinstance(outcome, _BROKEN)
            )
            hint = None
        pause = self._attempts.pause(hint) if again else None
        if pause is None:
            raise error from (outcome if isinstance(outcome, Exception) else None)
        return pause

    def answer(self) -> T:
        """The typed answer (after :meth:`settle` returned ``None``)."""
        assert self._answer is not None, "settle() has not returned None yet"
        return self._answer

    def _read(self, response: httpx.Response) -> T:
        try:
            return self.call.read(response)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise errors.ClientError(
                f"the answer from {self.request.url} is not what a modelyard server sends "
                f"({type(error).__name__}: {error})",
                status=response.status_code,
                request_id=response.headers.get("x-request-id"),
            ) from error
