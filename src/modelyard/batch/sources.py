"""Where rows come from: the input's files, found through fsspec and cut into chunks.

A Parquet chunk is a place, not rows: (file, first row, row count), cut from the files'
footers without reading any row. Whoever scores it reads it (:meth:`ParquetChunk.frame`, the
row groups it spans, only the columns needed), so a worker process or a Ray actor reads its
own rows and nothing large crosses between processes. CSV and JSON Lines have no index to
seek to: they are read here with pandas' ``chunksize`` and their chunks carry their rows.
Either way memory holds a few chunks however large the input. Chunks never span two files;
the same input and chunk size always cut the same chunks, which is what lets a resumed run
skip the chunks already written. Image endpoints read a folder or glob of image files
instead, one row per file with its path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol

import fsspec
import pandas as pd
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from modelyard.core.errors import ConfigError, NotFoundError

TABLE_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl",
                 ".ndjson": "jsonl", ".json": "jsonl"}  # fmt: skip
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
PATH_COLUMN = "path"
IMAGE_COLUMN = "image"
_GLOB = frozenset("*?[")


class Chunk(Protocol):
    """Consecutive input rows: ``first_row`` is the input row number of the first of them."""

    @property
    def index(self) -> int: ...

    @property
    def first_row(self) -> int: ...

    @property
    def rows(self) -> int: ...

    def frame(self) -> pd.DataFrame:
        """The chunk's rows (index 0..rows-1)."""
        ...


@dataclass(frozen=True)
class LoadedChunk:
    """A chunk read by the run itself, carrying its rows."""

    index: int
    first_row: int
    rows_frame: pd.DataFrame

    @property
    def rows(self) -> int:
        return len(self.rows_frame)

    def frame(self) -> pd.DataFrame:
        return self.rows_frame


@dataclass(frozen=True)
class ParquetChunk:
    """Rows ``start``..``start + rows`` of one Parquet file, read by whoever scores them."""

    index: int
    first_row: int
    rows: int
    url: str
    start: int
    columns: tuple[str, ...] | None

    def frame(self) -> pd.DataFrame:
        """The rows, from the row groups they span only, and only ``columns`` (those present)."""
        with fsspec.open(self.url, "rb") as file:
            parquet = pq.ParquetFile(file)
            present = set(parquet.schema_arrow.names)
            columns = None if self.columns is None else [c for c in self.columns if c in present]
            groups, offset, first = [], 0, None
            for group in range(parquet.metadata.num_row_groups):
                count = parquet.metadata.row_group(group).num_rows
                if offset + count > self.start and offset < self.start + self.rows:
                    groups.append(group)
                    first = offset if first is None else first
                offset += count
            table = parquet.read_row_groups(groups, columns=columns)
        assert first is not None or not self.rows
        sliced = table.slice(self.start - (first or 0), self.rows)
        return sliced.to_pandas(split_blocks=True, self_destruct=True)


class Source:
    """The files of one input (a file, a folder or a glob; any fsspec URL), in name order."""

    def __init__(self, url: str, *, images: bool) -> None:
        self.url = url
        self._fs, root = fsspec.core.url_to_fs(url)
        self.paths = self._expand(root)
        self.kind = self._kind(images)

    def _expand(self, root: str) -> list[str]:
        if _GLOB & set(root):
            paths = [path for path in self._fs.glob(root) if self._fs.isfile(path)]
        elif self._fs.isdir(root):
            paths = list(self._fs.find(root))
        elif self._fs.isfile(root):
            return [root]
        else:
            raise NotFoundError(f"input {self.url}: no such file or folder")
        paths = sorted(p for p in paths if not PurePosixPath(p).name.startswith((".", "_")))
        if not paths:
            raise NotFoundError(f"input {self.url}: no files there")
        return paths

    def _kind(self, images: bool) -> str:
        suffixes = {PurePosixPath(path).suffix.lower() for path in self.paths}
        if images and suffixes <= IMAGE_SUFFIXES:
            return "image"
        kinds = {TABLE_FORMATS.get(suffix) for suffix in suffixes}
        if None in kinds or len(kinds) > 1:
            known = "image files" if images else ".parquet, .csv or .jsonl files"
            found = ", ".join(sorted(s or "(no extension)" for s in suffixes))
            raise ConfigError(f"input {self.url}: unknown format ({found}): expected {known}")
        return str(kinds.pop())

    def fingerprint(self) -> str:
        """What identifies this input for ``--resume``: each file's path, size and time."""
        infos = [self._fs.info(path) for path in self.paths]
        facts = [(info["name"], info.get("size"), str(info.get("mtime", ""))) for info in infos]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()

    def total_rows(self) -> int | None:
        """The row count when known without reading the rows (Parquet footers, image files)."""
        if self.kind == "image":
            return len(self.paths)
        if self.kind != "parquet":
            return None
        total = 0
        for path in self.paths:
            with self._fs.open(path, "rb") as file:
                total += pq.ParquetFile(file).metadata.num_rows
        return total

    def chunks(self, rows: int, columns: Sequence[str] | None = None) -> Iterator[Chunk]:
        """The input as chunks of at most ``rows`` rows, numbered from 0, in input order;
        only ``columns`` are read when given (those the input has)."""
        if self.kind == "parquet":
            yield from self._parquet(rows, None if columns is None else tuple(columns))
            return
        first = 0
        frames = self._images(rows) if self.kind == "image" else self._tables(rows, columns)
        for index, frame in enumerate(frames):
            yield LoadedChunk(index, first, frame.reset_index(drop=True))
            first += len(frame)

    def _parquet(self, rows: int, columns: tuple[str, ...] | None) -> Iterator[Chunk]:
        index = first = 0
        for path in self.paths:
            with self._fs.open(path, "rb") as file:
                count = pq.ParquetFile(file).metadata.num_rows
            url = self._fs.unstrip_protocol(path)
            for start in range(0, count, rows):
                size = min(rows, count - start)
                yield ParquetChunk(index, first, size, url, start, columns)
                index, first = index + 1, first + size

    def _tables(self, rows: int, columns: Sequence[str] | None) -> Iterator[pd.DataFrame]:
        for path in self.paths:
            with self._fs.open(path, "rb") as file:
                for frame in _read(file, self.kind, rows):
                    yield frame if columns is None else frame[[c for c in columns if c in frame]]

    def _images(self, rows: int) -> Iterator[pd.DataFrame]:
        for start in range(0, len(self.paths), rows):
            paths = self.paths[start : start + rows]
            images = [self._fs.cat_file(path) for path in paths]
            shown = (
                paths
                if isinstance(self._fs, LocalFileSystem)
                else [self._fs.unstrip_protocol(path) for path in paths]
            )
            yield pd.DataFrame({PATH_COLUMN: shown, IMAGE_COLUMN: images})


def _read(file: Any, kind: str, rows: int) -> Iterator[pd.DataFrame]:
    if kind == "csv":
        yield from pd.read_csv(file, chunksize=rows)
    else:
        yield from pd.read_json(file, lines=True, chunksize=rows)
