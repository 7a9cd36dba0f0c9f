"""Hot reload: when an alias moves, serve the new version without failing a request.

Each variant of an endpoint follows its own reference. The new version is loaded and warmed
beside the old (in a thread, so requests keep flowing), the variant is swapped in one
assignment on the event loop (atomic for every request that starts after it), and the old
version is closed once the requests that hold it have answered and
its batcher is empty. A background task checks the registry every ``interval_s`` seconds;
``POST /admin/reload`` checks at once.

Several replicas on one registry converge by this same poll. A replica that cannot reach the
registry keeps serving what it has loaded and stays ready: it cannot know that anything moved.
One that knows a variant's reference moved but cannot load the new version (its package is
missing or broken, the artifact store is down) serves the old one and reports not ready on
``/v2/health/ready`` until it loads it, so a balancer sends its traffic to the replicas that did.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from modelyard.pipeline import Endpoint
from modelyard.registry import Registry
from modelyard.registry.database import UNREACHABLE, first_line
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
        self._unloaded: dict[tuple[str, str], str] = {}

    def unready(self) -> list[str]:
        """Why this replica is not ready: one line per variant whose reference names a
        version it could not load (empty when every required version is loaded)."""
        return list(self._unloaded.values())

    def add(self, endpoint: Endpoint) -> None:
        """Serve ``endpoint`` and the other variants of its traffic (at start-up)."""
        self.current[endpoint.id] = self._make(endpoint)

    async def reload(self) -> list[dict[str, Any]]:
        """Check every variant's model reference now; switch those whose version moved.

        Returns one ``{"endpoint", "variant", "from", "to"}`` per switch. Checks never
        overlap. A variant that fails does not stop the others from being checked; the first
        failure is raised once all are.
        """
        async with self._lock:
            switches = []
            failure: Exception | None = None
            for served in list(self.current.values()):
                for variant in served.arms():
                    try:
                        fresh = await asyncio.to_thread(self._moved, served.id, variant)
                    except Exception as error:
                        failure = failure or error
                        continue
                    if fresh is not None:
                        switches.append(self._switch(served, variant, fresh))
            if failure is not None:
                raise failure
            return switches

    def _moved(self, endpoint_id: str, variant: Variant) -> Endpoint | None:
        """A new endpoint loaded (and warmed) beside ``variant`` if its reference now names
        another version.

        Versions, not only digests: the same bytes registered again are another version,
        and clients must see the number they were promised in ``x-model-version``.
        ``Endpoint.reload`` would close the old pipeline at once, under requests in flight;
        a second ``Endpoint`` for the same spec keeps both loaded until the old one drains.
        A registry that cannot be reached raises without marking the variant unloaded.
        """
        key = (endpoint_id, variant.name)
        if not variant.endpoint.moved():
            self._unloaded.pop(key, None)
            return None
        try:
            fresh = Endpoint(variant.endpoint.spec, self._registry)
        except SQLAlchemyError:
            raise
        except Exception:
            # the reason (which may name files) goes to the log, not to this public answer
            self._unloaded[key] = (
                f"endpoint {endpoint_id!r} (variant {variant.name!r}) cannot load the version "
                f"{variant.endpoint.spec.model} names now; it serves version {variant.version} "
                "until it can (the server log says why)"
            )
            raise
        self._unloaded.pop(key, None)
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
            except UNREACHABLE as error:
                log.error(
                    "registry unreachable; serving the versions already loaded",
                    extra={"error": first_line(error)},
                )
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
