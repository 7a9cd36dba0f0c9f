"""Adaptive micro-batching: concurrent requests to one endpoint share one runner call.

A model's cost per call is mostly fixed (reading the weights, crossing into the runtime), so
64 rows in one call cost far less than 64 calls of one row. The batcher groups what is queued
up to ``max_batch_size`` rows, waiting at most ``max_wait_ms`` for company, and only waits
when company is known to be coming:

- requests announced by :meth:`MicroBatcher.arriving` (their bodies are being read or decoded)
  that have not yet been submitted; or
- a previous batch that held several requests (the endpoint is under concurrent load).

A lone request on an idle endpoint is dispatched at once, so batching costs nothing at
concurrency 1. Up to ``max_concurrent_batches`` batches run at once (the server's endpoints
allow two, so one long batch does not hold up every request behind it); while that many run,
new requests queue and leave together when one returns.

Batches run in a thread pool (onnxruntime releases the GIL, so the event loop keeps reading
requests meanwhile) unless the model has proved cheaper than the hand-off to a thread, in
which case they run inline on the loop (``_run_inline`` says how that is measured). A batch
that fails is retried request by request, so one bad request never fails its neighbours:
every answer equals the unbatched one.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

# Handing a call to a thread and back takes ~110 µs here (65 µs of it CPU), and a batch in a
# thread then waits for the GIL while the loop parses requests: a 32-row logistic regression
# batch (~100 µs of CPU inline) took 1.2 ms of wall time in the thread and served 10-20%
# fewer requests/s. Batches below this bar run inline; a 1 ms-a-row MLP stays in the thread.
# Under load the same 32-row batch costs 250-550 µs of CPU inline (cold caches between
# batches, the odd garbage collection), so a 500 µs bar sent it back to the thread every few
# probes; at 1 ms it stays inline (+7-9% requests/s at 64 connections).
INLINE_BELOW_S = 1e-3
# Weight of the newest batch in the running estimate of a batch's cost.
_COST_SMOOTHING = 0.2
# A batch timed in a thread looks dearer than it is (it waits for the GIL while the event loop
# parses requests): a model whose thread-timed cost is below _PROBE_BELOW times the bar is
# timed inline once, and again every _PROBE_EVERY batches while it stays below that.
_PROBE_BELOW = 4.0
_PROBE_EVERY = 64


@dataclass
class BatchOutcome(Generic[ResultT]):
    """One result per submitted item, in order, and the time each stage of the batch took."""

    results: list[ResultT]
    stages: dict[str, float] = field(default_factory=dict)
    shared: Any = None
    """Anything computed once for the whole batch that every request of it receives (the
    server formats the batch's part of ``Server-Timing`` there, once instead of per request)."""
    cpu_s: float = 0.0
    """Set by the batcher: CPU time of the calling thread, excluding any wait for the GIL."""


class Ride(NamedTuple):
    """What one request experienced in the batcher: its queue wait and the batch it rode in."""

    queue_s: float
    batch_rows: int
    batch_requests: int
    stages: dict[str, float]
    shared: Any = None


class BatchTimeoutError(TimeoutError):
    """The request waited longer than its deadline for the runner."""


class _Job(Generic[ItemT, ResultT]):
    __slots__ = ("deadline", "enqueued", "future", "item", "rows")

    def __init__(
        self, item: ItemT, rows: int, future: asyncio.Future[tuple[ResultT, Ride]], deadline: float
    ) -> None:
        self.item = item
        self.rows = rows
        self.future = future
        self.enqueued = time.perf_counter()
        self.deadline = deadline


RunBatch = Callable[[Sequence[ItemT]], BatchOutcome[ResultT]]


class MicroBatcher(Generic[ItemT, ResultT]):
    """Groups concurrent :meth:`submit` calls into calls of ``run_batch``.

    ``run_batch`` receives the items in arrival order and must return one result per item;
    ``on_batch`` is told the row count of every batch that ran (on the event loop thread).
    ``max_batch_size`` counts rows (a request of 10 instances is 10 rows); a request larger
    than it runs alone. With ``max_batch_size=1`` every request runs by itself.
    """

    def __init__(
        self,
        run_batch: RunBatch[ItemT, ResultT],
        *,
        max_batch_size: int,
        max_wait_ms: float,
        executor: Executor | None = None,
        max_concurrent_batches: int = 1,
        timeout_s: float | None = None,
        inline_below_s: float = INLINE_BELOW_S,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._run_batch = run_batch
        self.timeout_s = timeout_s
        self.max_batch_size = max(1, max_batch_size)
        self.max_wait_s = max(0.0, max_wait_ms) / 1000.0
        self._executor = executor
        self._max_running = max(1, max_concurrent_batches)
        self._inline_below_s = inline_below_s
        self._on_batch = on_batch
        self._queue: deque[_Job[ItemT, ResultT]] = deque()
        self._queued_rows = 0
        self._arriving = 0
        self._running = 0
        self._last_batch_requests = 1
        self._cost_s: float | None = None  # CPU time of inline batches (a true measure)
        self._thread_cost_s: float | None = None  # CPU time of the last batch in a thread
        self._since_probe = 0
        self._probing = False
        self._wait_timer: asyncio.TimerHandle | None = None
        self._tick: asyncio.Handle | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        # Every unanswered job in submission order; with one timeout for all, deadlines are in
        # the same order, so one timer for the oldest job replaces a timer per request.
        self._pending: deque[_Job[ItemT, ResultT]] = deque()
        self._sweeper: asyncio.TimerHandle | None = None

    # -- the request side -------------------------------------------------------------------

    def arriving(self) -> None:
        """Announce a request whose payload is being read: a batch may wait for it."""
        self._arriving += 1

    def arrived(self) -> None:
        """The announced request was submitted or gave up; stop counting on it."""
        self._arriving -= 1
        if self._queue and self._running < self._max_running:
            self._schedule()

    def submit(self, item: ItemT, rows: int) -> asyncio.Future[tuple[ResultT, Ride]]:
        """A future of the item's result and its ride, done once the batch holding it has run.

        Its error is :class:`BatchTimeoutError` when no result came within ``timeout_s`` (the
        item is then dropped from the queue if it has not started), or whatever ``run_batch``
        raised for this item alone. A plain function returning the future, not a coroutine:
        awaiting the future directly spares each request a coroutine frame, on the way in and
        again when it wakes.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[ResultT, Ride]] = loop.create_future()
        if self.timeout_s is None:
            job = _Job(item, rows, future, float("inf"))
        else:
            job = _Job(item, rows, future, time.perf_counter() + self.timeout_s)
            self._pending.append(job)
            if self._sweeper is None:
                self._sweeper = loop.call_later(self.timeout_s, self._sweep)
        self._queue.append(job)
        self._queued_rows += rows
        self._idle.clear()
        if self._running < self._max_running:
            self._schedule()
        return future

    def _sweep(self) -> None:
        """Fail every job past its deadline; re-arm for the oldest one still waiting."""
        self._sweeper = None
        pending = self._pending
        now = time.perf_counter()
        while pending and (pending[0].future.done() or pending[0].deadline <= now):
            _expire(pending.popleft())
        if pending:
            delay = pending[0].deadline - now
            self._sweeper = asyncio.get_running_loop().call_later(delay, self._sweep)

    # -- dispatch ---------------------------------------------------------------------------

    def _company_expected(self) -> bool:
        """Whether waiting a little is likely to fill the batch further."""
        if self._queued_rows >= self.max_batch_size:
            return False
        return self._arriving > 0 or len(self._queue) < self._last_batch_requests

    def _cheap(self) -> bool:
        """Whether the model has proved cheaper than a hand-off to a thread."""
        return self._cost_s is not None and self._cost_s < self._inline_below_s

    def _run_inline(self) -> bool:
        """Whether the next batch runs on the loop: proved cheap, or due a probe.

        The first batch always runs in a thread: a model of unknown cost (or a remote runner
        that hangs) must never block the event loop. ``inline_below_s=0`` keeps every batch
        in the thread pool, which is what I/O-bound runners need.
        """
        bar = self._inline_below_s
        if self._cost_s is not None and self._cost_s < bar:
            return True
        measured = self._cost_s if self._cost_s is not None else self._thread_cost_s
        if measured is None or measured >= _PROBE_BELOW * bar:
            return False
        self._since_probe += 1
        if self._cost_s is None or self._since_probe >= _PROBE_EVERY:
            self._since_probe = 0
            self._probing = True
            return True
        return False

    def _schedule(self) -> None:
        """Dispatch on the next loop tick, or later when more requests are known to be coming.

        Deferring to the next tick costs a few microseconds and lets every request that
        arrived in this tick join the batch. Waiting longer (up to ``max_wait_ms``) only pays
        when a model call costs more than the wait; for a cheap model it never happens.
        """
        if self._tick is not None:
            return
        loop = asyncio.get_running_loop()
        if self._wait_timer is not None:
            if self._company_expected():
                return
            self._wait_timer.cancel()
            self._wait_timer = None
        elif self.max_wait_s > 0 and not self._cheap() and self._company_expected():
            self._wait_timer = loop.call_later(self.max_wait_s, self._dispatch)
            return
        self._tick = loop.call_soon(self._dispatch)

    def _dispatch(self) -> None:
        if self._wait_timer is not None:
            self._wait_timer.cancel()
            self._wait_timer = None
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        while self._queue and self._running < self._max_running:
            jobs = self._take()
            if jobs:
                self._start(jobs)
        if not self._queue and self._running == 0:
            self._idle.set()

    def _take(self) -> list[_Job[ItemT, ResultT]]:
        """Up to ``max_batch_size`` rows of live jobs from the head of the queue."""
        now = time.perf_counter()
        jobs: list[_Job[ItemT, ResultT]] = []
        rows = 0
        while self._queue:
            job = self._queue[0]
            if jobs and rows + job.rows > self.max_batch_size:
                break
            self._queue.popleft()
            self._queued_rows -= job.rows
            if job.future.done():
                continue
            if job.deadline <= now:
                _expire(job)
                continue
            jobs.append(job)
            rows += job.rows
        return jobs

    def _start(self, jobs: list[_Job[ItemT, ResultT]]) -> None:
        self._running += 1
        self._last_batch_requests = len(jobs)
        started = time.perf_counter()
        if self._run_inline():
            try:
                outcome: BatchOutcome[ResultT] | BaseException = self._run_safely(jobs)
            except BaseException as error:  # delivered to the waiting requests
                outcome = error
            self._finish(jobs, started, outcome, redispatch=False)
            return
        loop = asyncio.get_running_loop()
        task = loop.run_in_executor(self._executor, self._run_safely, jobs)
        task.add_done_callback(lambda done: self._finish(jobs, started, _outcome_of(done)))

    def _run_safely(self, jobs: list[_Job[ItemT, ResultT]]) -> BatchOutcome[ResultT]:
        """Run the batch, timed; if it fails, run each job alone so only the culprit fails.

        The cost that decides inline or thread is CPU time: wall time in a thread would count
        the waits for the GIL while the event loop parses requests, and a busy server would
        then keep a cheap model in the thread pool, paying for hand-offs it does not need.
        """
        started = time.thread_time()
        outcome = self._run_isolated([job.item for job in jobs])
        outcome.cpu_s = time.thread_time() - started
        return outcome

    def _run_isolated(self, items: list[ItemT]) -> BatchOutcome[ResultT]:
        try:
            return self._run_batch(items)
        except Exception:
            if len(items) == 1:
                raise
        results: list[ResultT | Exception] = []
        stages: dict[str, float] = {}
        for item in items:
            try:
                single = self._run_batch([item])
            except Exception as error:
                results.append(error)
                continue
            results.append(single.results[0])
            for name, seconds in single.stages.items():
                stages[name] = stages.get(name, 0.0) + seconds
        return BatchOutcome(results, stages)  # type: ignore[arg-type]

    def _finish(
        self,
        jobs: list[_Job[ItemT, ResultT]],
        started: float,
        outcome: BatchOutcome[ResultT] | BaseException,
        *,
        redispatch: bool = True,
    ) -> None:
        """Deliver results; ``redispatch`` is off for inline runs, whose caller loops on."""
        self._running -= 1
        if isinstance(outcome, BaseException):
            for job in jobs:
                _settle(job, error=outcome)
        else:
            cost = outcome.cpu_s
            if redispatch:  # ran in a thread
                self._thread_cost_s = cost
            elif self._cost_s is None or self._probing:
                # A probe decides alone: averaging it with an old outlier would keep a cheap
                # model in the thread pool for many probes.
                self._cost_s = cost
                self._probing = False
            else:
                self._cost_s += _COST_SMOOTHING * (cost - self._cost_s)
            rows = sum(job.rows for job in jobs)
            if self._on_batch is not None:
                self._on_batch(rows)
            for job, result in zip(jobs, outcome.results, strict=True):
                if isinstance(result, Exception):
                    _settle(job, error=result)
                    continue
                ride = Ride(started - job.enqueued, rows, len(jobs), outcome.stages, outcome.shared)
                _settle(job, value=(result, ride))
        pending = self._pending
        while pending and pending[0].future.done():
            pending.popleft()
        if redispatch and self._queue:
            self._dispatch()
        elif not self._queue and self._running == 0:
            self._idle.set()

    async def drained(self) -> None:
        """Return once nothing is queued or running (for a graceful switch or shutdown)."""
        await self._idle.wait()


def _outcome_of(
    done: asyncio.Future[BatchOutcome[ResultT]],
) -> BatchOutcome[ResultT] | BaseException:
    if done.cancelled():
        return asyncio.CancelledError()
    error = done.exception()
    return error if error is not None else done.result()


def _settle(
    job: _Job[ItemT, ResultT],
    *,
    value: tuple[ResultT, Ride] | None = None,
    error: BaseException | None = None,
) -> None:
    if job.future.done():
        return
    if error is not None:
        job.future.set_exception(error)
    else:
        job.future.set_result(value)  # type: ignore[arg-type]


def _expire(job: _Job[ItemT, ResultT]) -> None:
    if not job.future.done():
        job.future.set_exception(BatchTimeoutError())
