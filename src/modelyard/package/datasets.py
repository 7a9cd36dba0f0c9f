"""Labeled datasets as the builder takes them: a DataFrame with a target column, an ``(X, y)``
tuple, or a CSV/Parquet file path — all turned into features, target and a fingerprint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from modelyard.core.digests import sha256_file
from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.core.extras import missing_extra
from modelyard.core.hashing import as_frame, data_fingerprint
from modelyard.package.manifest import DatasetFingerprint


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame; its engine, pyarrow, comes with the ``parquet`` extra."""
    try:
        import pyarrow  # noqa: F401  (pandas' own error would not name the extra)
    except ImportError as error:
        raise missing_extra(error, "reading Parquet") from None
    return pd.read_parquet(path)


_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": pd.read_csv,
    ".parquet": read_parquet,
}


@dataclass(frozen=True)
class Labeled:
    """Features and target of one dataset, and the fingerprint lineage records for it."""

    X: pd.DataFrame
    y: pd.Series
    fingerprint: DatasetFingerprint

    def frame(self) -> pd.DataFrame:
        """Features and target as one table (what the split fingerprints hash)."""
        return self.X.assign(**{str(self.y.name): self.y.to_numpy()})


def dvc_md5(path: Path) -> str | None:
    """The md5 DVC recorded for ``path`` in the ``<path>.dvc`` file next to it, if any."""
    dvc_file = path.with_name(path.name + ".dvc")
    if not dvc_file.is_file():
        return None
    try:
        document = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise ConfigError(f"{dvc_file} is not valid YAML: expected a DVC .dvc file") from None
    outs = document.get("outs") if isinstance(document, dict) else None
    for out in outs or []:
        if isinstance(out, dict) and out.get("md5"):
            return str(out["md5"])
    raise ConfigError(f"{dvc_file} has no outs[].md5: expected a DVC .dvc file")


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame; any other file is refused naming the suffixes."""
    if not path.is_file():
        raise NotFoundError(f"dataset {path} does not exist: expected a CSV or Parquet file")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(
            f"dataset {path} has suffix {path.suffix!r}: expected one of {', '.join(_READERS)}"
        )
    return reader(path)


def _split_target(frame: pd.DataFrame, target: str | None, what: str) -> tuple[Any, Any]:
    if target is None:
        raise ConfigError(f"{what} is a table but target= is not set: expected its column name")
    if target not in frame.columns:
        columns = [str(column) for column in frame.columns]
        shown = ", ".join(columns[:8]) + (", …" if len(columns) > 8 else "")
        raise ConfigError(
            f"{what} has no column {target!r} for the target: expected one of its columns ({shown})"
        )
    return frame.drop(columns=[target]), frame[target]


def labeled(data: Any, target: str | None, role: Literal["train", "test"]) -> Labeled:
    """Read ``data`` (DataFrame + ``target``, ``(X, y)`` or a file path) as a :class:`Labeled`.

    A DataFrame or tuple is fingerprinted over all its rows; a file by the sha256 of its
    bytes, with the md5 of a DVC ``.dvc`` file next to it when there is one.
    """
    what = f"{role}_data"
    source: Path | None = None
    if isinstance(data, str | Path):
        source = Path(data)
        X, y = _split_target(read_table(source), target, source.name)
    elif isinstance(data, pd.DataFrame):
        X, y = _split_target(data, target, what)
    elif isinstance(data, tuple) and len(data) == 2:
        X, y = data
    else:
        raise ConfigError(
            f"{what} is a {type(data).__name__}: expected a DataFrame with the target column, "
            "an (X, y) tuple or a CSV/Parquet path"
        )
    features = as_frame(X)
    name = target or getattr(y, "name", None) or "target"
    labels = pd.Series(pd.Series(y).to_numpy(), index=features.index, name=str(name))
    if len(features) != len(labels):
        raise ConfigError(
            f"{what} has {len(features)} feature rows and {len(labels)} targets: expected as many"
        )
    table = features.assign(**{str(labels.name): labels.to_numpy()})
    fingerprint = DatasetFingerprint(
        role=role,
        sha256=sha256_file(source) if source else data_fingerprint(table),
        rows=len(table),
        columns=[str(column) for column in table.columns],
        source=str(source) if source else None,
        dvc_md5=dvc_md5(source) if source else None,
    )
    return Labeled(features, labels, fingerprint)
