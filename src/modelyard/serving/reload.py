"""Hot reload: when an alias moves, serve the new version without failing a request.

Each variant of an endpoint follows its own reference. The new version is loaded and warmed
beside the old (in a thread, so requests keep flowing), the variant is swapped in one
assignment on the event loop (atomic for every request that starts after it), and the old
version is closed once the requests that hold it have answered and
its batcher is empty. A background task checks the registry every ``interval_s`` seconds;
``POST /admin/reload`` checks at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from modelyard.pipeline import Endpoint
from modelyard.registry import Registry
from modelyard.serving.served import ServedEndpoint
from modelyard.serving.variant import Variant

log = logging.getLogger("modelyard.serving.reload")


class EndpointTable:
    """The endpoints being served, by id; the only shared mutable state of the server."""

    def __init__(self, make: Callable[[Endpoint], ServedEndpoint], registry: Registry) -> None:
        self._make = make
        self._registry = registry
        self.current: dict[str, ServedEndpoint] = {}
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()

    def add(self, endpoint: Endpoint) -> None:
        """Serve ``endpoint`` and the other variants of its traffic (at start-up)."""
        self.current[endpoint.id] = self._make(endpoint)

    async def reload(self) -> list[dict[str, Any]]:
        """Check every variant's model reference now; switch those whose version moved.

        Returns one ``{"endpoint", "variant", "from", "to"}`` per switch. Checks never
        overlap.
        """
        async with self._lock:
            switches = []
            for served in list(self.current.values()):
                for variant in served.arms():
                    fresh = await asyncio.to_thread(self._moved, variant)
                    if fresh is not None:
                        switches.append(self._switch(served, variant, fresh))
            return switches

    def _moved(self, variant: Variant) -> Endpoint | None:
        """A new endpoint loaded (and warmed) beside ``variant`` if its reference now names
        another version.

        Versions, not only digests: the same bytes registered again are another version,
        and clients must see the number they were promised in ``x-model-version``.
        ``Endpoint.reload`` would close the old pipeline at once, under requests in flight;
        a second ``Endpoint`` for the same spec keeps both loaded until the old one drains.
        """
        if not variant.endpoint.moved():
            return None
        fresh = Endpoint(variant.endpoint.spec, self._registry)
        warm(fresh)
        return fresh

    def _switch(self, served: ServedEndpoint, old: Variant, fresh: Endpoint) -> dict[str, Any]:
        new = served.renew(old, fresh)
        change = {
            "endpoint": served.id,
            "variant": old.name,
            "from": old.version,
            "to": new.version,
        }
        log.info("switched variant to a new version", extra=change)
        task = asyncio.get_running_loop().create_task(self._retire(old))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        return change

    async def _retire(self, old: Variant) -> None:
        await old.drain()
        await asyncio.to_thread(old.endpoint.close)
        log.info(
            "closed old version",
            extra={"endpoint": old.id, "variant": old.name, "version": old.version},
        )

    async def watch(self, interval_s: float, *also: Callable[[], Awaitable[None]]) -> None:
        """Check for alias moves every ``interval_s`` seconds until cancelled; run each of
        ``also`` (e.g. a token refresh, which handles its own failures) on the same poll."""
        while True:
            await asyncio.sleep(interval_s)
            for poll in also:
                await poll()
            try:
                await self.reload()
            except Exception:
                log.exception("reload check failed; serving the versions already loaded")

    async def close(self) -> None:
        """Drain and close every variant (graceful shutdown)."""
        await asyncio.gather(*self._retiring)
        for served in list(self.current.values()):
            await served.drained_mirrors()
            for variant in served.arms():
                await variant.drain()
                await asyncio.to_thread(variant.endpoint.close)


def warm(endpoint: Endpoint) -> None:
    """Run the endpoint's model once before it takes traffic; a failure is logged, not
    fatal (a remote runner may be down for a moment; its requests will say so)."""
    try:
        endpoint.pipeline.warm()
    except Exception as error:
        log.warning(
            "warm-up inference failed",
            extra={"endpoint": endpoint.id, "model": endpoint.spec.model, "error": str(error)},
        )
