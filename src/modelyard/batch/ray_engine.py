"""The Ray engine: the local engine's job (:func:`~modelyard.batch.chunk.write_chunk` over the
run's chunks) on Ray Data.

The run's own chunks (:mod:`.sources`) are handed to Ray Data with ``ray.data.from_items``, one
item and one block per chunk, rather than read again with ``ray.data.read_parquet``/
``read_csv``: a resumed run skips chunks by their index, and only the run's own reader cuts
the same chunks every time (Ray cuts blocks its own way), while the rejects need each row's
input number. ``map_batches`` sends each chunk to an actor of a pool of ``workers`` (fewer for
fewer chunks), each of which loaded the version once (:meth:`Target.load`, verified by digest);
the actor reads the chunk, scores it and writes its part itself, and only the chunk's counts
come back, in input order, for the run to record. So rejects, ``--keep``, output formats and
``--resume`` behave as with the local engine; the output (and a local input) must be on a
filesystem the actors share, or an fsspec URL they all reach for the input.

A Parquet chunk is a place in a file (a few strings), so the dataset stays small however
large the input. CSV and JSON Lines chunks carry their rows, read by the driver: the dataset
then holds the input in Ray's object store, which spills to disk beyond its memory share;
convert large CSV inputs to Parquet first.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterable, Iterator
from typing import Any

import ray

from modelyard.batch.chunk import Done, Feed, write_chunk
from modelyard.batch.output import Output
from modelyard.batch.sources import Chunk
from modelyard.batch.target import Target
from modelyard.pipeline.pipeline import Pipeline

_ITEM = "chunk"
_ANSWER = "scored"


class _Scorer:
    """One actor's pipeline, loaded once when the pool starts it."""

    def __init__(self, target: Target, keep: list[str], out: Output) -> None:
        self.pipeline = target.load()
        self.feed = Feed(self.pipeline)
        self.keep = keep
        self.out = out

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[bytes]]:
        chunks: list[Chunk] = [pickle.loads(item) for item in batch[_ITEM]]
        done = [write_chunk(self.pipeline, self.feed, c, self.keep, self.out) for c in chunks]
        return {_ANSWER: [pickle.dumps(answer) for answer in done]}


def _dataset(chunks: Iterable[Chunk]) -> tuple[ray.data.Dataset, int]:
    """The chunks as a dataset of one pickled chunk per block, and how many there are; the
    driver's copies are dropped once the blocks are in the object store."""
    items = [{_ITEM: pickle.dumps(chunk)} for chunk in chunks]
    return ray.data.from_items(items, override_num_blocks=max(len(items), 1)), len(items)


class RayEngine:
    """Scores chunks on a Ray cluster (``address``, else one started here) with ``workers``
    actors; a cluster this engine started is shut down when the run ends."""

    def __init__(self, target: Target, workers: int, address: str | None = None) -> None:
        self.target = target
        self.workers = workers
        self.address = address

    def map(
        self, pipeline: Pipeline, chunks: Iterable[Chunk], keep: list[str], out: Output
    ) -> Iterator[Done]:
        """Each chunk scored into ``out``, reported in the order of ``chunks`` (``pipeline`` is
        the driver's own, unused: each actor loads its copy)."""
        started = self._connect()
        try:
            inputs, count = _dataset(chunks)
            if not count:
                return
            context = ray.data.DataContext.get_current()
            context.execution_options.preserve_order = True
            logging.getLogger("ray.data").setLevel(logging.WARNING)
            answers = inputs.map_batches(
                _Scorer,
                fn_constructor_kwargs={"target": self.target, "keep": keep, "out": out},
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=min(self.workers, count)),
                num_cpus=1,
                batch_format="numpy",
            )
            for row in answers.iter_rows():
                yield pickle.loads(row[_ANSWER])
        finally:
            if started:
                ray.shutdown()

    def _connect(self) -> bool:
        """Join ``address``, or start a local cluster unless one runs; True if started here."""
        if ray.is_initialized():
            return False
        if self.address is not None:
            ray.init(address=self.address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(
                num_cpus=max(self.workers, os.cpu_count() or 1),
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        return True
