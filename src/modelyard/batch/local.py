"""The local engine: chunks scored in parallel by worker processes, reported back in order.

Each worker loads the version once (in the pool's initializer) and keeps it, then reads,
scores and writes each chunk it is given (:func:`~modelyard.batch.chunk.write_chunk`): a
Parquet chunk travels as its place in the file, so no rows cross between processes, and only
a few counts come back. The parent keeps a bounded number of chunks in flight (memory stays a
few chunks) and reports them in input order, so progress is recorded chunk after chunk. One
worker scores in the parent process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from modelyard.batch.chunk import Done, Feed, write_chunk
from modelyard.batch.output import Output
from modelyard.batch.sources import Chunk
from modelyard.batch.target import Target
from modelyard.pipeline.pipeline import Pipeline

_IN_FLIGHT_PER_WORKER = 2

_loaded: tuple[Pipeline, Feed] | None = None  # the worker process's own pipeline


def _load(target: Target) -> None:
    global _loaded
    pipeline = target.load()
    _loaded = (pipeline, Feed(pipeline))


def _score(chunk: Chunk, keep: list[str], out: Output) -> Done:
    assert _loaded is not None, "the pool's initializer loads the pipeline"
    return write_chunk(*_loaded, chunk, keep, out)


class LocalEngine:
    """Scores chunks on this machine with ``workers`` processes (1: in this process)."""

    def __init__(self, target: Target, workers: int) -> None:
        self.target = target
        self.workers = workers

    def map(
        self, pipeline: Pipeline, chunks: Iterable[Chunk], keep: list[str], out: Output
    ) -> Iterator[Done]:
        """Each chunk scored into ``out``, reported in the order of ``chunks``; ``pipeline``
        scores when alone."""
        if self.workers == 1:
            feed = Feed(pipeline)
            for chunk in chunks:
                yield write_chunk(pipeline, feed, chunk, keep, out)
            return
        pool = ProcessPoolExecutor(self.workers, initializer=_load, initargs=(self.target,))
        try:
            pending: deque[Future[Done]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_score, chunk, keep, out))
                if len(pending) >= self.workers * _IN_FLIGHT_PER_WORKER:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # a run stopped early (too many rejects) does not score what is queued
            pool.shutdown(cancel_futures=True)
