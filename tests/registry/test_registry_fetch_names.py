"""A fetch never writes outside its cache folder, whatever file names a record lists.

A hostile package is planted in a real fsspec store (``memory://``, and a ``file://`` folder)
under the digest of its own manifest, and the database row of ``fraud:1`` is pointed at it,
as someone with write access to both could do.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import fsspec
import pytest
from sqlalchemy import create_engine, text

from modelyard.core.errors import IntegrityError, ModelyardError
from modelyard.registry import Registry

Build = Callable[..., Path]

# An absolute target of this run's own: a stale file from another run cannot fail the test.
ABSOLUTE = f"/tmp/modelyard-escape-{uuid.uuid4().hex}.txt"
HOSTILE = [
    "../../../../escaped.txt",
    ABSOLUTE,
    "a/../../../../b.txt",
    "..\\..\\..\\windows.txt",
    "nul\x00byte.txt",
    "",
    "./here.txt",
    "line\nbreak.txt",
    "C:/drive.txt",
]


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """A SQLite registry over an in-memory or a ``file://`` artifact store, cached locally."""
    if request.param == "memory":
        root = f"memory://modelyard-{uuid.uuid4().hex}"
    else:
        root = (tmp_path / "store").as_uri()
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}", root, cache_dir=tmp_path / "cache")
    yield registry
    registry.close()
    if request.param == "memory":
        fsspec.filesystem("memory").rm(root, recursive=True)


def _plant(registry: Registry, name: str) -> str:
    """A package whose manifest lists ``name``, stored under its digest; fraud:1 points at it."""
    version = registry.get("fraud:1")
    document = version.manifest.model_dump(mode="json")
    document["files"] = {**document["files"], name: "0" * 64}
    data = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(data).hexdigest()
    with fsspec.open(f"{registry.artifacts_url}/packages/{digest}/manifest.json", "wb") as out:
        out.write(data)
    with fsspec.open(f"{registry.artifacts_url}/packages/{digest}/model.onnx", "wb") as out:
        out.write(b"weights 0")
    engine = create_engine(registry.url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE versions SET digest = :d, manifest_json = :m WHERE name = 'fraud'"),
            {"d": digest, "m": data.decode()},
        )
    engine.dispose()
    return digest


def _local_files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_name_is_refused_and_nothing_is_written(
    store: Registry, package: Build, tmp_path: Path, name: str
) -> None:
    store.register(package())
    digest = _plant(store, name)
    before = _local_files(tmp_path)

    with pytest.raises(IntegrityError) as refused:
        store.fetch("fraud:1")

    assert str(refused.value) == (
        f"manifest.json of fraud:1 (package {digest[:12]}) lists 1 unsafe file name(s): "
        "expected relative paths inside the package (no '..', absolute paths, backslashes or "
        "control characters)"
    )
    assert _local_files(tmp_path) == before  # the staging copy is gone, nothing was added
    assert not (tmp_path.parent / "escaped.txt").exists()  # where ../../../../ would land
    assert not Path(ABSOLUTE).exists()


def test_a_file_missing_from_the_store_is_named_without_the_stores_path(
    store: Registry, package: Build
) -> None:
    version = store.register(package())
    fs, _ = fsspec.core.url_to_fs(version.artifact_uri)
    fs.rm(f"{version.artifact_uri}/preprocess/vocab.txt")

    with pytest.raises(ModelyardError) as refused:
        store.fetch("fraud:1")

    label = f"fraud:1 (package {version.digest[:12]})"
    expected = (
        f"{label}: preprocess/vocab.txt is missing from the artifact store"
        if store.artifacts_url.startswith("memory://")
        else f"{label} does not match its manifest: preprocess/vocab.txt is missing"
    )
    assert str(refused.value) == expected
