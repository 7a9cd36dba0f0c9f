"""Where answers go: one part file per chunk, progress recorded after each, assembled at the end.

A chunk's part is complete on disk before the progress file says it is done (written to a
temporary name, then renamed), so a run killed at any moment resumes from its last recorded
chunk: a part half written by the killed run is simply written again, and no row is scored
twice into the output. A file output is the parts concatenated (streamed, one part in memory);
a folder output keeps the parts themselves.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from modelyard.core.errors import ConfigError

_PART = "part-{:06d}"
UNFIT = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
"""What Arrow raises when values cannot take a type (a cast, a schema to unify): the caller
then falls back to a wider type, never a failed run."""
_REJECTS = "rejects-{:06d}"


@dataclass
class Progress:
    """What ``OUTPUT.progress.json`` records: enough to resume, and to refuse a wrong resume."""

    input: str
    chunk_rows: int
    chunks_done: int = 0
    rows_read: int = 0
    rows_written: int = 0
    rejects: int = 0


class Output:
    """An output path (a file, or a folder when it ends with ``/`` or is one) and its sidecars.

    Beside ``scores.parquet``: ``scores.rejects.parquet``, ``scores.progress.json`` and, while
    running, ``scores.parts/``; a CSV output has its rejects as CSV.
    """

    def __init__(self, path: str) -> None:
        self.folder = path.endswith(("/", os.sep)) or Path(path).is_dir()
        self.path = Path(path)
        self.csv = not self.folder and self.path.suffix.lower() == ".csv"
        self.ext = ".csv" if self.csv else ".parquet"
        base = self.path if self.folder else self.path.with_suffix("")
        self.rejects_path = base.with_name(base.name + ".rejects" + self.ext)
        self.progress_path = base.with_name(base.name + ".progress.json")
        self.work = base.with_name(base.name + ".parts")
        self._parts = self.path if self.folder else self.work
        # Parts that are joined at the end are kept as Arrow IPC files: written and read back
        # at memory speed, so the output's Parquet encoding is paid once, not twice.
        self._staged = ".csv" if self.csv else ".arrow"
        self._part_ext = self.ext if self.folder else self._staged

    def start(self, progress: Progress, resume: bool) -> Progress:
        """The progress to continue from: the recorded one when resuming a matching run."""
        if resume and self.progress_path.exists():
            recorded = Progress(**json.loads(self.progress_path.read_text(encoding="utf-8")))
            if recorded.input != progress.input:
                raise ConfigError(
                    f"--resume: the input differs from the interrupted run's "
                    f"(recorded in {self.progress_path}); run without --resume to start over"
                )
            if recorded.chunk_rows != progress.chunk_rows:
                raise ConfigError(
                    f"--resume: --chunk-rows {progress.chunk_rows} differs from the interrupted "
                    f"run's {recorded.chunk_rows}; pass --chunk-rows {recorded.chunk_rows}"
                )
            return recorded
        if self.work.exists():
            shutil.rmtree(self.work)
        if self.folder and self.path.is_dir():  # an earlier run's parts; nothing else there
            for stale in self.path.glob("part-*" + self.ext):
                stale.unlink()
        self.progress_path.unlink(missing_ok=True)
        self.work.mkdir(parents=True)
        self._parts.mkdir(parents=True, exist_ok=True)
        return progress

    def write(self, index: int, results: pd.DataFrame, rejects: pd.DataFrame) -> None:
        """Chunk ``index``'s part (and its rejects, if any), complete on disk when this returns.

        A chunk whose rows were all rejected has no part."""
        if len(results):
            _write(results, self.part(index))
        if len(rejects):
            _write(rejects, self.work / (_REJECTS.format(index) + self._staged))

    def record(self, progress: Progress) -> None:
        """Record progress after the parts it counts are written (atomically replaced)."""
        temporary = self.progress_path.with_name(self.progress_path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(progress)), encoding="utf-8")
        temporary.replace(self.progress_path)

    def assembly(self, chunks_done: int) -> Assembly:
        """The output file's assembly, fed already with the parts of ``chunks_done`` chunks
        (a resumed run's); this process's own, never sent to a worker."""
        streaming = not (self.csv or self.folder)
        assembly = Assembly(self.work / ("output" + self.ext), streaming=streaming)
        if not self.folder:
            for index in range(chunks_done):
                assembly.add(self.part(index))
        return assembly

    def part(self, index: int) -> Path:
        """Where chunk ``index``'s answers are (no file: every row of it was rejected)."""
        return self._parts / (_PART.format(index) + self._part_ext)

    def finish(self, progress: Progress, assembly: Assembly) -> None:
        """Complete the output file and the rejects file; remove the run's working files."""
        if not self.folder:
            assembly.finish(sorted(self.work.glob("part-*")), self.path, self.csv)
        self.write_rejects()
        shutil.rmtree(self.work)
        self.progress_path.unlink(missing_ok=True)

    def write_rejects(self) -> None:
        """The rejects file from the rejects parts so far (none: no file)."""
        parts = sorted(self.work.glob("rejects-*"))
        self.rejects_path.unlink(missing_ok=True)
        if parts:
            _concatenate(parts, self.rejects_path, self.csv)


class Assembly:
    """A Parquet output file written part by part as chunks complete, by the run's own process
    while its workers score the next chunks: at the end it only needs closing.

    A part whose types the file's first part cannot hold (a ``--keep`` column typed
    differently by its chunk) stops the streaming; the file is then joined at the end under
    one schema for all parts (:func:`_concatenate`). CSV outputs are joined at the end (a byte
    copy). The file is written in the working folder and moved into place when complete, so a
    killed run leaves no half file where the output belongs.
    """

    def __init__(self, temporary: Path, *, streaming: bool) -> None:
        self.temporary = temporary
        self.streaming = streaming
        self._writer: pq.ParquetWriter | None = None

    def add(self, part: Path) -> None:
        """Append chunk's ``part`` (in chunk order; a missing part is a fully rejected chunk)."""
        if not self.streaming or not part.exists():
            return
        table = _read(part)
        if self._writer is None:
            schema = table.schema
            self._writer = pq.ParquetWriter(
                self.temporary, schema, use_dictionary=_dictionary_columns(schema)
            )
        try:
            table = table.cast(self._writer.schema)
        except UNFIT:
            self.streaming = False
            return
        self._writer.write_table(table)

    def close(self) -> None:
        """Close the file being written (a run stopped early leaves it in the working folder)."""
        if self._writer is not None:
            self._writer.close()

    def finish(self, parts: list[Path], target: Path, csv: bool) -> None:
        """The complete output file at ``target``."""
        self.close()
        if self.streaming and self._writer is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.temporary.replace(target)
        else:
            _concatenate(parts, target, csv)


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns worth dictionary-encoding: text (a model name repeats on every row).

    Parquet's default tries a dictionary on every column; on the scores and probabilities,
    which hardly repeat, that attempt is two thirds of the time a part takes to write."""
    return [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]


def _write(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(path.name + ".tmp")
    if path.suffix == ".csv":
        frame.to_csv(temporary, index=False)
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if path.suffix == ".arrow":
            with (
                pa.OSFile(str(temporary), "wb") as sink,
                pa.ipc.new_file(sink, table.schema) as ipc,
            ):
                ipc.write_table(table)
        else:
            pq.write_table(table, temporary, use_dictionary=_dictionary_columns(table.schema))
    temporary.replace(path)


def _read(path: Path) -> pa.Table:
    """A part written by :func:`_write` (Arrow IPC or Parquet)."""
    if path.suffix == ".arrow":
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    return pq.read_table(path)


def _schema(path: Path) -> pa.Schema:
    if path.suffix == ".arrow":
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).schema
    return pq.read_schema(path)


def _concatenate(parts: list[Path], target: Path, csv: bool) -> None:
    """The parts, in order, as one file, reading one part at a time."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if csv:
        with target.open("wb") as out:  # no part (every row rejected): an empty file
            header = True
            for part in parts:
                with part.open("rb") as file:
                    first = file.readline()
                    if header:
                        out.write(first)
                        header = False
                    shutil.copyfileobj(file, out)
        return
    if not parts:  # every row rejected: an empty table all the same
        pq.write_table(pa.table({}), target)
        return
    schema = _common_schema([_schema(part) for part in parts])
    with pq.ParquetWriter(target, schema, use_dictionary=_dictionary_columns(schema)) as writer:
        for part in parts:
            writer.write_table(_read(part).cast(schema))


def _common_schema(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema every part fits: each chunk's ``--keep`` columns were typed from its own
    rows (a column empty in one CSV chunk reads as numbers, as text in the next), so a
    column's types are widened (null to anything, int to float) and, where no type holds
    them all, the column is kept as text."""
    fields = []
    for field in schemas[0]:
        types = {schema.field(field.name).type for schema in schemas}
        try:
            merged = pa.unify_schemas(
                [pa.schema([pa.field(field.name, kind)]) for kind in types],
                promote_options="permissive",
            ).field(field.name)
        except UNFIT:
            merged = pa.field(field.name, pa.string())
        fields.append(merged)
    return pa.schema(fields)
