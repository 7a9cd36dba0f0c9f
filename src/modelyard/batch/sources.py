"""Where rows come from: the input's files, found through fsspec and read chunk by chunk.

Each file is read with its format's streaming reader (pyarrow's ``iter_batches`` for Parquet,
pandas' ``chunksize`` for CSV and JSON Lines), so memory holds one chunk however large the
input. Chunks never span two files; the same input and chunk size always cut the same chunks,
which is what lets a resumed run skip the chunks already written. Image endpoints read a
folder or glob of image files instead, one row per file with its path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

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


@dataclass(frozen=True)
class Chunk:
    """Consecutive input rows: ``first_row`` is the input row number of the frame's first."""

    index: int
    first_row: int
    frame: pd.DataFrame


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

    def chunks(self, rows: int) -> Iterator[Chunk]:
        """The input as chunks of at most ``rows`` rows, numbered from 0, in input order."""
        first = 0
        frames = self._images(rows) if self.kind == "image" else self._tables(rows)
        for index, frame in enumerate(frames):
            yield Chunk(index, first, frame.reset_index(drop=True))
            first += len(frame)

    def _tables(self, rows: int) -> Iterator[pd.DataFrame]:
        for path in self.paths:
            with self._fs.open(path, "rb") as file:
                yield from _read(file, self.kind, rows)

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
    if kind == "parquet":
        for batch in pq.ParquetFile(file).iter_batches(batch_size=rows):
            yield batch.to_pandas()
    elif kind == "csv":
        yield from pd.read_csv(file, chunksize=rows)
    else:
        yield from pd.read_json(file, lines=True, chunksize=rows)
