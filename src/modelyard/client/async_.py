"""``modelyard.AsyncClient``: the same calls as ``Client``, awaited.

::

    async with modelyard.AsyncClient("http://127.0.0.1:8000") as client:
        answers = await asyncio.gather(*(client.predict("breast-cancer", [r]) for r in records))
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

import httpx

from modelyard.client.base import BaseClient
from modelyard.client.calls import Call

T = TypeVar("T")


class AsyncClient(BaseClient):
    """A modelyard server at ``url``, called from asyncio: every method of
    :class:`~modelyard.client.sync.Client`, returning an awaitable. Close it with
    ``await client.aclose()`` (or use it in an ``async with`` block)."""

    _transport = httpx.AsyncClient
    _http: httpx.AsyncClient

    async def _run(self, call: Call[T]) -> T:
        exchange = self._exchange(call)
        while (pause := exchange.settle(await self._send(exchange.request))) is not None:
            await asyncio.sleep(pause)
        return exchange.answer()

    async def _send(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        try:
            return await self._http.send(request)
        except httpx.TransportError as error:
            return error

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
