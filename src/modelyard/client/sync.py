"""``modelyard.Client``: calls a modelyard server and waits for each answer.

::

    with modelyard.Client("http://127.0.0.1:8000") as client:
        answer = client.predict("breast-cancer", [record])
        client.feedback("breast-cancer", answer.request_id, label=1)
"""

from __future__ import annotations

import time
from typing import TypeVar

import httpx

from modelyard.client.base import BaseClient
from modelyard.client.calls import Call

T = TypeVar("T")


class Client(BaseClient):
    """A modelyard server at ``url`` (``token``: a bearer token, ``timeout``: seconds per
    try, ``retry``: a :class:`~modelyard.client.retry.Retry`). Methods: ``predict``,
    ``predict_image``, ``infer``, ``feedback``, ``endpoints``, ``health``. Close it (or use
    it in a ``with`` block) to release its connections."""

    _transport = httpx.Client
    _http: httpx.Client

    def _run(self, call: Call[T]) -> T:
        exchange = self._exchange(call)
        while (pause := exchange.settle(self._send(exchange.request))) is not None:
            time.sleep(pause)
        return exchange.answer()

    def _send(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        try:
            return self._http.send(request)
        except httpx.TransportError as error:
            return error

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
