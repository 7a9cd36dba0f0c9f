"""Lineage: which code and which data made a model, captured when it is packaged.

Code is the git commit of the caller's working directory (with the dirty flag and the files
that differ from it, since an uncommitted change means the commit alone cannot rebuild the
model). Data is fingerprinted over every row; the train/test split is recorded as
order-independent row-set digests, and rows present in both are counted and warned about,
because they inflate test metrics.
"""

from __future__ import annotations

import getpass
import os
import platform
import subprocess
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from modelyard.core.hashing import hash_rows_set, row_hashes
from modelyard.package.datasets import Labeled
from modelyard.package.manifest import DatasetFingerprint, GitInfo, Lineage, SplitInfo


def _git(args: list[str], cwd: Path) -> str | None:
    """``git <args>`` output in ``cwd``, or ``None`` when git fails or is not installed."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _changed_files(porcelain: str) -> list[str]:
    """Paths from ``git status --porcelain -z`` (a rename lists the new path only)."""
    entries = porcelain.split("\0")
    files: list[str] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        if entry:
            files.append(entry[3:])
            if entry[0] in "RC":
                index += 1  # the next entry is the rename's origin
        index += 1
    return files


def without_credentials(url: str) -> str:
    """A remote URL with any ``user:token@`` removed, so secrets never enter a manifest."""
    parts = urlsplit(url)
    if not parts.netloc or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def git_info(cwd: str | Path | None = None) -> GitInfo | None:
    """The commit, branch, dirty state and origin of the repository at ``cwd``.

    ``None`` outside a git repository or before its first commit.
    """
    where = Path(cwd) if cwd is not None else Path.cwd()
    commit = _git(["rev-parse", "HEAD"], where)
    if commit is None:
        return None
    branch = (_git(["rev-parse", "--abbrev-ref", "HEAD"], where) or "").strip()
    changed = _changed_files(_git(["status", "--porcelain", "-z"], where) or "")
    remote = (_git(["remote", "get-url", "origin"], where) or "").strip()
    return GitInfo(
        commit=commit.strip(),
        branch=branch if branch and branch != "HEAD" else None,
        dirty=bool(changed),
        changed_files=changed,
        remote=without_credentials(remote) if remote else None,
    )


def split_info(train: Labeled, test: Labeled) -> SplitInfo:
    """Row-set digests of train and test and the count of test rows also in train.

    Rows are hashed with their target; any overlap is warned about as possible leakage.
    """
    train_rows = row_hashes(train.frame())
    test_rows = row_hashes(test.frame())
    overlap = int(np.isin(test_rows, train_rows).sum())
    if overlap:
        warnings.warn(
            f"{overlap} test rows also appear in the training data: test metrics may be "
            "inflated (possible leakage)",
            stacklevel=3,
        )
    return SplitInfo(
        train_rows_sha256=hash_rows_set(train_rows),
        test_rows_sha256=hash_rows_set(test_rows),
        overlap_rows=overlap,
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return os.environ.get("USER", "unknown")


def capture_lineage(
    datasets: list[DatasetFingerprint],
    split: SplitInfo | None,
    params: dict[str, Any],
) -> Lineage:
    """What made the model: code (the working directory's repository), data, parameters, machine."""
    return Lineage(
        git=git_info(),
        datasets=datasets,
        split=split,
        params=params,
        python=platform.python_version(),
        platform=f"{platform.system()}-{platform.machine()} ({sys.implementation.name})",
        created_at=datetime.now(UTC),
        created_by=_user(),
    )
