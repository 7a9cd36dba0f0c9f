"""The artifact store on a real S3 API: register, fetch, load and predict through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.demo import prepare
from modelyard.pipeline import load_endpoints
from modelyard.registry import Registry
from tinypackage import make_package


@pytest.fixture
def registry(bucket: str, tmp_path: Path) -> Iterator[Registry]:
    """A SQLite registry whose packages live in an S3 bucket, cached in ``tmp_path``."""
    store = Registry(f"sqlite:///{tmp_path / 'registry.db'}", bucket, cache_dir=tmp_path / "cache")
    yield store
    store.close()


def _keys(url: str) -> list[str]:
    """Every object under ``url``, relative to it."""
    filesystem, root = fsspec.core.url_to_fs(url)
    filesystem.invalidate_cache()
    return sorted(key.removeprefix(f"{root}/") for key in filesystem.find(root))


def test_a_version_registered_on_s3_is_stored_under_its_digest_and_fetched_whole(
    registry: Registry, bucket: str, tmp_path: Path
) -> None:
    folder = make_package(tmp_path / "packages", "fraud", b"weights 1")
    version = registry.register(folder)
    assert version.artifact_uri == f"{bucket}/packages/{version.digest}"
    assert _keys(bucket) == [
        f"packages/{version.digest}/manifest.json",
        f"packages/{version.digest}/model.onnx",
        f"packages/{version.digest}/preprocess/vocab.txt",
    ]  # nothing staged elsewhere, nothing left behind
    fetched = registry.fetch("fraud:1")
    assert fetched == tmp_path / "cache" / version.digest
    assert (fetched / "model.onnx").read_bytes() == (folder / "model.onnx").read_bytes()


def test_the_same_bytes_registered_again_are_stored_once(
    registry: Registry, bucket: str, tmp_path: Path
) -> None:
    first = registry.register(make_package(tmp_path / "a", "fraud", b"same weights"))
    second = registry.register(make_package(tmp_path / "b", "fraud", b"same weights"))
    assert (second.version, second.artifact_uri) == (2, first.artifact_uri)
    assert len(_keys(bucket)) == 3


def test_a_package_stored_halfway_is_completed_by_the_next_registration(
    registry: Registry, bucket: str, tmp_path: Path
) -> None:
    # A writer stopped before the manifest, the last object it writes: the package is not
    # there yet, and registering it again writes it whole.
    folder = make_package(tmp_path / "packages", "fraud", b"weights 1")
    version = registry.register(folder)
    filesystem, _ = fsspec.core.url_to_fs(bucket)
    filesystem.rm(f"{version.artifact_uri}/manifest.json")
    again = registry.register(folder)
    assert again.artifact_uri == version.artifact_uri
    assert (registry.fetch(again) / "manifest.json").is_file()


def test_a_file_missing_from_s3_is_named_on_fetch(
    registry: Registry, bucket: str, tmp_path: Path
) -> None:
    version = registry.register(make_package(tmp_path / "packages", "fraud", b"weights 1"))
    fsspec.core.url_to_fs(bucket)[0].rm(f"{version.artifact_uri}/model.onnx")
    with pytest.raises(NotFoundError) as raised:
        registry.fetch("fraud:1")
    assert str(raised.value) == (
        f"fraud:1 (package {version.digest[:12]}): model.onnx is missing from the artifact store"
    )
    assert not (tmp_path / "cache" / version.digest).exists()


def test_a_model_registered_on_s3_is_fetched_loaded_and_predicts(
    bucket: str, tmp_path: Path
) -> None:
    demo = prepare(tmp_path / "demo", Registry(f"sqlite:///{tmp_path / 'r.db'}", bucket))
    registry = Registry(demo.registry_url, demo.artifacts, cache_dir=tmp_path / "cache")
    endpoints = load_endpoints(demo.endpoints_file, registry)
    try:
        answer = endpoints["breast-cancer"].predict({"instances": [demo.cancer_record]})
        digest = registry.get("breast_cancer:1").digest
    finally:
        for endpoint in endpoints.values():
            endpoint.close()
        registry.close()
    assert answer["model"] == {"name": "breast_cancer", "version": 1}
    assert answer["predictions"][0]["label"] == 0  # the dataset's first record is malignant
    assert (tmp_path / "cache" / digest / "manifest.json").is_file()  # fetched from the bucket


def test_an_artifact_store_of_an_unknown_scheme_is_refused_without_its_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        Registry(f"sqlite:///{tmp_path / 'r.db'}", "nosuch://key:secret@bucket/models")
    assert str(raised.value) == (
        "the artifact store's scheme nosuch:// is not one fsspec knows; expected a folder or a "
        "URL such as s3://bucket/prefix"
    )
