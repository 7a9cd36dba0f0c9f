"""A tiny real package (one small model file and its manifest) for registry-level tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from modelyard.package.io import write_manifest
from modelyard.package.manifest import Lineage, Manifest, Signature, TensorSpec


def make_package(root: Path, name: str, payload: bytes = b"weights") -> Path:
    """A real package folder under ``root``: one model file holding ``payload``, a vocabulary
    file, and its manifest naming ``name`` (any string: the folder is not named after it)."""
    folder = root / f"package-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(payload)
    (folder / "preprocess").mkdir()
    (folder / "preprocess" / "vocab.txt").write_text("a\nb\n", encoding="utf-8")
    manifest = Manifest(
        name=name,
        format="onnx",
        flavor="test",
        files={},
        model_file="model.onnx",
        signature=Signature(
            inputs=[TensorSpec(name="x", dtype="float32", shape=[None, 2])],
            outputs=[TensorSpec(name="y", dtype="float32", shape=[None, 1])],
        ),
        lineage=Lineage(
            python="3.11",
            platform="test",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            created_by="tests",
        ),
    )
    write_manifest(folder, manifest)
    return folder
