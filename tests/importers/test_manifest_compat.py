"""Lineage written before imports existed still reads, and reads as not imported."""

from __future__ import annotations

from modelyard.package.manifest import Lineage

_BEFORE_IMPORTS = {
    "git": {"commit": "abc123", "branch": "main", "dirty": True, "changed_files": ["a.py"]},
    "params": {"C": 1.0},
    "python": "3.11.7",
    "platform": "Linux-x86_64 (cpython)",
    "created_at": "2026-11-01T12:00:00Z",
    "created_by": "ana",
}


def test_lineage_without_the_imported_block_reads_unchanged() -> None:
    lineage = Lineage.model_validate(_BEFORE_IMPORTS)

    assert lineage.imported is None
    assert lineage.git is not None and lineage.git.dirty is True
    assert lineage.model_dump(mode="json", exclude_unset=True) == _BEFORE_IMPORTS
