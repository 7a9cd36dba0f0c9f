"""Copies of answered requests run on another variant, off the request's critical path.

A shadow sees ``percent`` of the primary's requests; a canary's primary re-runs a share of
the candidate's requests so their answers can be compared. The copy starts only after the
client's answer was sent, and at most ``capacity`` copies wait or run at once: past that,
copies are dropped and counted, so a slow or failing shadow never slows the primary nor
grows the server's memory. Agreement with the primary is counted on the arm whose answers
are judged (the shadow; the canary's candidate).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

from modelyard.routing.agreement import compare
from modelyard.serving.errors import from_exception
from modelyard.serving.tally import Tally
from modelyard.serving.variant import Answer, Job, Variant

log = logging.getLogger("modelyard.serving.mirror")


class Validator(Protocol):
    """The part of a route's codec a copy needs: checking the payload for its variant."""

    def validate(self, served: Variant, payload: Any) -> Job: ...


class Mirror:
    """Copies requests to the variant ``target()`` for comparison with the primary's answers.

    ``judged`` is the tally the comparison counts on; ``target_is_primary`` says which side
    of the comparison the copy's answer is (a canary's primary re-run) or is not (a shadow).
    ``share`` is the fraction of offered requests copied (0 to 1).
    """

    def __init__(
        self,
        target: Callable[[], Variant],
        judged: Tally,
        *,
        share: float,
        capacity: int,
        target_is_primary: bool,
    ) -> None:
        self._target = target
        self._judged = judged
        self.share = share
        self._capacity = capacity
        self._target_is_primary = target_is_primary
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def offer(self, codec: Validator, payload: Any, answer: Answer) -> None:
        """Copy this answered request (if the share draws it and there is room)."""
        if self.share < 1.0 and random.random() >= self.share:
            return
        if self._running >= self._capacity:
            self._judged.dropped += 1
            return
        self._running += 1
        self._judged.mirrored += 1
        task = asyncio.get_running_loop().create_task(self._run(codec, payload, answer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, codec: Validator, payload: Any, answer: Answer) -> None:
        target = self._target()
        target.enter()
        started = time.perf_counter()
        status = 200
        try:
            job = codec.validate(target, payload)
            copy, _ = await target.batcher.submit(job, job.batch.rows)
            primary, other = (copy, answer) if self._target_is_primary else (answer, copy)
            self._judged.compared(compare(primary, other))
        except Exception as error:  # a copy never fails anything but its own count
            status = from_exception(error, target.id, "", inferring=True).status
            self._judged.mirror_errors += 1
            log.debug(
                "mirrored request failed", extra={"variant": target.name, "error": str(error)}
            )
        finally:
            self._running -= 1
            target.leave()
        if not self._target_is_primary:  # a shadow's own latency and status are its figures
            elapsed = time.perf_counter() - started
            target.tally.answered(status, elapsed)
            target.metrics.request(status, elapsed)

    async def drained(self) -> None:
        """Wait for the copies in flight (graceful shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
