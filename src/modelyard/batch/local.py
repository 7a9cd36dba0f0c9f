"""The local engine: chunks scored in parallel by worker processes, handed back in order.

Each worker loads the version once (in the pool's initializer) and keeps it; the parent reads
chunks, keeps a bounded number in flight (memory stays a few chunks), and yields the answers
in input order so the writer needs no reordering. One worker scores in the parent process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from modelyard.batch.chunk import Feed, Scored, score_chunk
from modelyard.batch.sources import Chunk
from modelyard.batch.target import Target
from modelyard.pipeline.pipeline import Pipeline

_IN_FLIGHT_PER_WORKER = 2

_loaded: tuple[Pipeline, Feed] | None = None  # the worker process's own pipeline


def _load(target: Target) -> None:
    global _loaded
    pipeline = target.load()
    _loaded = (pipeline, Feed(pipeline))


def _score(chunk: Chunk, keep: list[str]) -> Scored:
    assert _loaded is not None, "the pool's initializer loads the pipeline"
    return score_chunk(*_loaded, chunk, keep)


class LocalEngine:
    """Scores chunks on this machine with ``workers`` processes (1: in this process)."""

    def __init__(self, target: Target, workers: int) -> None:
        self.target = target
        self.workers = workers

    def map(self, pipeline: Pipeline, chunks: Iterable[Chunk], keep: list[str]) -> Iterator[Scored]:
        """Each chunk's answers, in the order of ``chunks``; ``pipeline`` scores when alone."""
        if self.workers == 1:
            feed = Feed(pipeline)
            for chunk in chunks:
                yield score_chunk(pipeline, feed, chunk, keep)
            return
        pool = ProcessPoolExecutor(self.workers, initializer=_load, initargs=(self.target,))
        try:
            pending: deque[Future[Scored]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_score, chunk, keep))
                if len(pending) >= self.workers * _IN_FLIGHT_PER_WORKER:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # a run stopped early (too many rejects) does not score what is queued
            pool.shutdown(cancel_futures=True)
