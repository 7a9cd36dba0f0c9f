"""``modelyard.score``: a file of rows scored through a version's pipeline into a file of answers.

The steps, each in its module: find and read the input (:mod:`.sources`), score each chunk as
the server would (:mod:`.chunk`) on an engine (:mod:`.local`, or :mod:`.ray_engine` on a Ray
cluster), write parts and record progress (:mod:`.output`). Errors a user can fix (missing
input, unknown format or reference, a missing column, an engine whose extra is absent) are
raised as one-line :class:`~modelyard.core.errors.ModelyardError`s before any row is scored.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from modelyard.batch.chunk import Done, Feed
from modelyard.batch.local import LocalEngine
from modelyard.batch.output import Output, Progress
from modelyard.batch.sources import PATH_COLUMN, Chunk, Source
from modelyard.batch.target import Target
from modelyard.core.errors import ConfigError, ModelyardError
from modelyard.core.extras import missing_extra
from modelyard.pipeline.pipeline import Pipeline
from modelyard.registry import Registry

DEFAULT_CHUNK_ROWS = 100_000
ENGINES = ("local", "ray")


class Engine(Protocol):
    """Scores chunks somewhere, each into its part of ``out``, and reports them in input order."""

    def map(
        self, pipeline: Pipeline, chunks: Iterable[Chunk], keep: list[str], out: Output
    ) -> Iterator[Done]: ...


class TooManyRejectsError(ModelyardError):
    """More rows refused than ``max_rejects`` allows: the run stopped (and can be resumed)."""


@dataclass(frozen=True)
class Summary:
    """What a run did: rows answered, rows rejected, time taken, where the answers are."""

    rows: int
    rejects: int
    seconds: float
    rows_per_second: float
    """Input rows handled (answered or rejected) per second by this run alone."""
    output: str
    rejects_output: str | None

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        rejected = f", {self.rejects} rejected ({self.rejects_output})" if self.rejects else ""
        return (
            f"scored {self.rows} rows{rejected} in {self.seconds:.1f} s "
            f"({self.rows_per_second:,.0f} rows/s) → {self.output}"
        )


def score(
    ref: str,
    *,
    input: str | Path,
    output: str | Path,
    endpoints: str | Path | None = None,
    keep: list[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    resume: bool = False,
    max_rejects: int = 0,
    registry: Registry | None = None,
    on_rows: Callable[[int, int | None], None] | None = None,
) -> Summary:
    """Score every row of ``input`` with ``ref`` (``name@alias``, ``name:V``, or an endpoint
    id of ``endpoints``) into ``output``, answering each row as the server would.

    ``keep`` columns are copied beside the predictions; refused rows go to the rejects file
    (more than ``max_rejects`` of them, unless 0, stops the run); ``resume`` continues a killed
    run. ``output`` is a folder of parts when it ends with ``/`` or is an existing folder.
    ``on_rows(done, total)`` hears the rows handled so far (``total`` when known).
    ``engine="ray"`` scores on the Ray cluster at ``address`` (else one started for the run).
    """
    if engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if chunk_rows < 1 or (workers is not None and workers < 1) or max_rejects < 0:
        raise ConfigError("--chunk-rows and --workers must be at least 1, --max-rejects at least 0")
    if address is not None and engine != "ray":
        raise ConfigError("--address: only with --engine ray")
    make_engine = _engine_maker(engine, workers or os.cpu_count() or 1, address)
    own_registry = registry is None
    registry = registry or Registry(create=False)
    target = Target(
        ref, registry.url, registry.artifacts_url, None if endpoints is None else str(endpoints)
    )
    if own_registry:
        registry.close()
    pipeline = target.load()
    try:
        feed = Feed(pipeline)
        source = Source(str(input), images=feed.images)
        keep = list(keep or [])
        if feed.images and PATH_COLUMN not in keep:
            keep.insert(0, PATH_COLUMN)
        chunks = source.chunks(chunk_rows, columns=list(dict.fromkeys(feed.columns + keep)))
        first = next(chunks, None)
        if first is None:
            raise ConfigError(f"input {input}: no rows")
        feed.check(first.frame(), keep)
        out = Output(str(output))
        progress = out.start(Progress(source.fingerprint(), chunk_rows), resume)
        done_before, started = progress.rows_read, time.perf_counter()
        remaining = _after(itertools.chain([first], chunks), progress.chunks_done)
        done = make_engine(target).map(pipeline, remaining, keep, out)
        report = _Report(on_rows, source.total_rows())
        _record_all(done, out, progress, max_rejects, report)
    finally:
        pipeline.close()
    seconds = time.perf_counter() - started
    rate = (progress.rows_read - done_before) / seconds if seconds > 0 else 0.0
    rejects_output = str(out.rejects_path) if progress.rejects else None
    return Summary(
        progress.rows_written, progress.rejects, seconds, rate, str(output), rejects_output
    )


def _engine_maker(engine: str, workers: int, address: str | None) -> Callable[[Target], Engine]:
    """The engine's constructor, imported now so a missing Ray fails before any row is read."""
    if engine == "local":
        return lambda target: LocalEngine(target, workers)
    try:
        from modelyard.batch.ray_engine import RayEngine
    except ImportError as error:
        raise missing_extra(error, "--engine ray") from None
    return lambda target: RayEngine(target, workers, address)


@dataclass(frozen=True)
class _Report:
    """Who hears the rows handled so far, and the input's row count when known."""

    on_rows: Callable[[int, int | None], None] | None
    total: int | None

    def __call__(self, done: int) -> None:
        if self.on_rows is not None:
            self.on_rows(done, self.total)


def _record_all(
    done: Iterable[Done], out: Output, progress: Progress, max_rejects: int, report: _Report
) -> None:
    """Each chunk's progress once its part is written, and its part added to the output file;
    the output completed once all are."""
    assembly = out.assembly(progress.chunks_done)
    try:
        for chunk in done:
            assembly.add(out.part(chunk.index))
            progress.chunks_done = chunk.index + 1
            progress.rows_read += chunk.rows
            progress.rows_written += chunk.written
            progress.rejects += chunk.rejected
            out.record(progress)
            report(progress.rows_read)
            if max_rejects and progress.rejects > max_rejects:
                out.write_rejects()
                raise TooManyRejectsError(
                    f"stopped: {progress.rejects} rows rejected, more than --max-rejects "
                    f"{max_rejects} (see {out.rejects_path}; --resume continues)"
                )
    except BaseException:
        assembly.close()
        raise
    out.finish(progress, assembly)


def _after(chunks: Iterator[Chunk], done: int) -> Iterator[Chunk]:
    """The chunks past the first ``done`` (a resumed run's finished ones: cut, not scored)."""
    return itertools.islice(chunks, done, None)
