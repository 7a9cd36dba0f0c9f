"""The micro-batcher: grouping, adaptivity, isolation of failures, deadlines."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from modelyard.pipeline.batcher import BatchOutcome, BatchTimeoutError, MicroBatcher


class Doubler:
    """A runner that doubles numbers, records the batches it saw, and refuses negatives."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.gate = gate

    def __call__(self, items: Sequence[int]) -> BatchOutcome[int]:
        if self.gate is not None:
            self.gate.wait(5)
        self.batches.append(list(items))
        if any(item < 0 for item in items):
            raise ValueError("negative")
        return BatchOutcome([2 * item for item in items], {"infer": 0.001})


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_concurrent_requests_share_a_batch_and_get_their_own_answers() -> None:
    runner = Doubler()

    async def scenario() -> list[int]:
        batcher = MicroBatcher(runner, max_batch_size=64, max_wait_ms=0)
        answers = await asyncio.gather(*(batcher.submit(i, 1) for i in range(10)))
        return [value for value, _ in answers]

    assert run(scenario()) == [2 * i for i in range(10)]
    assert runner.batches == [list(range(10))]


def test_batches_hold_at_most_max_batch_size_rows() -> None:
    runner = Doubler()

    async def scenario() -> None:
        batcher = MicroBatcher(runner, max_batch_size=4, max_wait_ms=0)
        await asyncio.gather(*(batcher.submit(i, 1) for i in range(10)))

    run(scenario())
    assert [len(batch) for batch in runner.batches] == [4, 4, 2]


def test_a_request_larger_than_the_batch_limit_runs_alone() -> None:
    runner = Doubler()

    async def scenario() -> None:
        batcher = MicroBatcher(runner, max_batch_size=4, max_wait_ms=0)
        await asyncio.gather(batcher.submit(1, 1), batcher.submit(2, 9), batcher.submit(3, 1))

    run(scenario())
    assert runner.batches == [[1], [2], [3]]


def test_a_lone_request_does_not_wait_for_company() -> None:
    async def scenario() -> float:
        batcher = MicroBatcher(Doubler(), max_batch_size=64, max_wait_ms=5000)
        _, ride = await batcher.submit(1, 1)
        return ride.queue_s

    assert run(scenario()) < 1.0


def test_requests_queue_while_a_batch_runs_and_leave_together() -> None:
    gate = threading.Event()
    runner = Doubler(gate)

    async def scenario() -> list[int]:
        with ThreadPoolExecutor(2) as pool:
            batcher = MicroBatcher(runner, max_batch_size=64, max_wait_ms=0, executor=pool)
            first = asyncio.ensure_future(batcher.submit(0, 1))
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            rest = [asyncio.ensure_future(batcher.submit(i, 1)) for i in range(1, 6)]
            await asyncio.sleep(0)
            gate.set()
            answers = await asyncio.gather(first, *rest)
        return [ride.batch_requests for _, ride in answers]

    assert run(scenario()) == [1, 5, 5, 5, 5, 5]
    assert runner.batches == [[0], [1, 2, 3, 4, 5]]


def test_a_failing_request_fails_alone_and_its_neighbours_get_answers() -> None:
    runner = Doubler()

    async def scenario() -> list[object]:
        batcher = MicroBatcher(runner, max_batch_size=64, max_wait_ms=0)
        return await asyncio.gather(
            *(batcher.submit(i, 1) for i in (1, -1, 3)), return_exceptions=True
        )

    first, second, third = run(scenario())
    assert isinstance(first, tuple) and first[0] == 2
    assert isinstance(second, ValueError) and str(second) == "negative"
    assert isinstance(third, tuple) and third[0] == 6


def test_a_request_past_its_deadline_times_out_and_is_not_run() -> None:
    runner = Doubler()

    async def scenario() -> None:
        batcher = MicroBatcher(runner, max_batch_size=64, max_wait_ms=0, timeout_s=1e-9)
        with pytest.raises(BatchTimeoutError):
            await batcher.submit(1, 1)

    run(scenario())
    assert runner.batches == []


def test_a_stuck_batch_times_out_its_requests() -> None:
    gate = threading.Event()

    async def scenario() -> None:
        with ThreadPoolExecutor(1) as pool:
            batcher = MicroBatcher(
                Doubler(gate), max_batch_size=64, max_wait_ms=0, executor=pool, timeout_s=0.05
            )
            with pytest.raises(BatchTimeoutError):
                await batcher.submit(1, 1)
            gate.set()

    run(scenario())


def test_drained_returns_once_every_request_is_answered() -> None:
    async def scenario() -> bool:
        batcher = MicroBatcher(Doubler(), max_batch_size=2, max_wait_ms=0)
        pending = [asyncio.ensure_future(batcher.submit(i, 1)) for i in range(5)]
        await asyncio.sleep(0)
        await batcher.drained()
        return all(task.done() for task in pending)

    assert run(scenario())
