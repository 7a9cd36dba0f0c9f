"""What the sync and the async client share: their settings and every method.

A subclass adds only the transport: an ``httpx`` client of its kind and the loop that sends
an :class:`~modelyard.client.exchange.Exchange`'s request and sleeps between tries.
"""

from __future__ import annotations

from typing import TypeVar

import httpx

from modelyard import __version__
from modelyard.client import calls
from modelyard.client.calls import Call, Method
from modelyard.client.exchange import Exchange
from modelyard.client.retry import Retry

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 30.0


class BaseClient:
    """A modelyard server at ``url``; ``token`` is sent as a bearer token when given.

    ``timeout`` bounds each try (seconds, or an ``httpx.Timeout``); ``retry`` says how often
    and how long a 503 or a failed connection is tried again.
    """

    _transport: type[httpx.Client] | type[httpx.AsyncClient]
    _http: httpx.Client | httpx.AsyncClient

    predict = Method(calls.predict)
    predict_image = Method(calls.predict_image)
    infer = Method(calls.infer)
    feedback = Method(calls.feedback)
    endpoints = Method(calls.endpoints)
    health = Method(calls.health)

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
        *,
        retry: Retry | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://, e.g. http://127.0.0.1:8000")
        self.url = url.rstrip("/")
        self.retry = retry or Retry()
        headers = {"user-agent": f"modelyard-client/{__version__}"}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        self._http = self._transport(base_url=self.url, headers=headers, timeout=timeout)

    def _exchange(self, call: Call[T]) -> Exchange[T]:
        request = self._http.build_request(
            call.method, call.path, content=call.body, headers=dict(call.headers)
        )
        return Exchange(call, request, self.retry)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"
