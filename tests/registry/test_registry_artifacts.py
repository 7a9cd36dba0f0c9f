"""The artifact store: content-addressed layout, and fetch that always verifies."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import fsspec
import pytest

from modelyard.core.errors import IntegrityError, NotFoundError
from modelyard.registry import Registry

Build = Callable[..., Path]


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Registry]:
    """A SQLite registry with a local artifact folder (the store is not what varies here)."""
    store = Registry(f"sqlite:///{tmp_path / 'registry.db'}", str(tmp_path / "artifacts"))
    yield store
    store.close()


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Registry]:
    """A registry whose artifacts live on fsspec's in-memory filesystem, cached locally."""
    root = f"memory://modelyard-{uuid.uuid4().hex}"
    store = Registry(f"sqlite:///{tmp_path / 'registry.db'}", root, cache_dir=tmp_path / "cache")
    yield store
    store.close()
    fsspec.filesystem("memory").rm(root, recursive=True)


def test_packages_are_stored_under_their_digest(
    local: Registry, package: Build, tmp_path: Path
) -> None:
    version = local.register(package())
    stored = tmp_path / "artifacts" / "packages" / version.digest
    assert sorted(p.relative_to(stored).as_posix() for p in stored.rglob("*") if p.is_file()) == [
        "manifest.json",
        "model.onnx",
        "preprocess/vocab.txt",
    ]
    assert list((tmp_path / "artifacts" / "tmp").iterdir()) == []


def test_fetch_from_a_local_store_is_the_stored_folder(
    local: Registry, package: Build, tmp_path: Path
) -> None:
    version = local.register(package())
    assert local.fetch("fraud:1") == tmp_path / "artifacts" / "packages" / version.digest


def test_a_changed_file_in_the_store_is_detected(local: Registry, package: Build) -> None:
    folder = local.fetch(local.register(package()))
    (folder / "model.onnx").write_bytes(b"swapped weights")
    with pytest.raises(IntegrityError, match=r"does not match its manifest: model.onnx changed"):
        local.fetch("fraud:1")


def test_a_missing_file_in_the_store_is_detected(local: Registry, package: Build) -> None:
    folder = local.fetch(local.register(package()))
    (folder / "preprocess" / "vocab.txt").unlink()
    with pytest.raises(IntegrityError, match=r"preprocess/vocab.txt is missing"):
        local.fetch("fraud:1")


def test_an_added_file_in_the_store_is_detected(local: Registry, package: Build) -> None:
    folder = local.fetch(local.register(package()))
    (folder / "payload.pkl").write_bytes(b"surprise")
    with pytest.raises(IntegrityError, match=r"payload.pkl is not listed"):
        local.fetch("fraud:1")


def test_a_rewritten_manifest_in_the_store_is_detected(local: Registry, package: Build) -> None:
    version = local.register(package())
    folder = local.fetch(version)
    manifest = folder / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"flavor":"test"', b'"flavor":"evil"'))
    with pytest.raises(IntegrityError) as refused:
        local.fetch("fraud:1")
    sha = hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert str(refused.value) == (
        f"manifest.json of fraud:1 (package {version.digest[:12]}) changed: its sha256 is "
        f"{sha[:12]}…, the package digest recorded is {version.digest[:12]}…; refusing to use it"
    )
    assert str(folder) not in str(refused.value)


def test_a_tampered_package_is_not_registered(local: Registry, package: Build) -> None:
    folder = package()
    (folder / "model.onnx").write_bytes(b"changed after packaging")
    with pytest.raises(IntegrityError, match=r"model.onnx changed"):
        local.register(folder)
    assert local.list_models() == []


def test_a_folder_without_a_manifest_is_not_a_package(local: Registry, tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    with pytest.raises(NotFoundError, match=r"^package folder loose has no manifest.json"):
        local.register(tmp_path / "loose")


def test_fetch_from_a_remote_store_caches_a_verified_copy(
    remote: Registry, package: Build, tmp_path: Path
) -> None:
    version = remote.register(package())
    assert version.artifact_uri.startswith("memory://")
    path = remote.fetch("fraud:1")
    assert path == tmp_path / "cache" / version.digest
    assert (path / "model.onnx").read_bytes() == b"weights 0"
    assert remote.fetch(version) == path


def test_a_tampered_remote_artifact_is_detected(remote: Registry, package: Build) -> None:
    version = remote.register(package())
    with fsspec.open(f"{version.artifact_uri}/model.onnx", "wb") as handle:
        handle.write(b"swapped weights")
    with pytest.raises(IntegrityError, match=r"model.onnx changed"):
        remote.fetch(version)


def test_a_tampered_cache_copy_is_detected(remote: Registry, package: Build) -> None:
    path = remote.fetch(remote.register(package()))
    (path / "model.onnx").write_bytes(b"swapped weights")
    with pytest.raises(IntegrityError, match=r"model.onnx changed"):
        remote.fetch("fraud:1")
