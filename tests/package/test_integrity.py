"""A package is content-addressed: any altered, missing or extra file is refused at load."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sklearn.ensemble import RandomForestClassifier

from modelyard.core.errors import IntegrityError, NotFoundError
from modelyard.package.builder import build_package
from modelyard.package.io import package_digest, read_manifest, verify_package, write_manifest
from modelyard.package.loader import load_package
from modelyard.package.manifest import Manifest

Out = Callable[[str], Path]


@pytest.fixture
def package(iris, out: Out) -> tuple[Path, Manifest]:
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(iris.X_train, iris.y_train)
    return out("pkg"), build_package(model, "iris", out("pkg"), sample=iris.X_test.head(5))


def test_manifest_is_canonical_json(package) -> None:
    folder, manifest = package
    text = (folder / "manifest.json").read_text(encoding="utf-8")

    assert text.startswith('{"extra":')
    assert "\n" not in text and ", " not in text
    assert read_manifest(folder) == manifest
    assert manifest.files == {"model.onnx": manifest.files["model.onnx"]}


def test_digest_is_the_same_from_folder_and_manifest(package) -> None:
    folder, manifest = package

    assert package_digest(folder) == package_digest(manifest)
    assert len(package_digest(folder)) == 64


def test_a_manifest_written_before_a_newer_optional_field_keeps_its_digest(package) -> None:
    """The digest hashes the stored bytes, so a schema that gains a defaulted field (here the
    profile's ``source``) does not turn every older package into a tampered one."""
    folder, _ = package
    path = folder / "manifest.json"
    older = json.loads(path.read_bytes())
    del older["profile"]["source"]
    path.write_bytes(json.dumps(older, sort_keys=True, separators=(",", ":")).encode())
    stored = hashlib.sha256(path.read_bytes()).hexdigest()

    assert verify_package(folder, expected_digest=stored).profile is not None
    load_package(folder, expected_digest=stored)


def test_flipped_byte_in_model_is_named(package) -> None:
    folder, _ = package
    model = folder / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))

    with pytest.raises(IntegrityError, match=r"does not match its manifest: model.onnx changed"):
        load_package(folder)


def test_missing_and_extra_files_are_named(package) -> None:
    folder, _ = package
    (folder / "model.onnx").rename(folder / "renamed.onnx")

    with pytest.raises(IntegrityError) as caught:
        verify_package(folder)

    assert str(caught.value).endswith("model.onnx is missing; renamed.onnx is not listed")


def test_unexpected_digest_is_refused(package) -> None:
    folder, _ = package

    with pytest.raises(IntegrityError) as refused:
        load_package(folder, expected_digest="0" * 64)

    assert str(refused.value).startswith(
        "manifest.json of package 000000000000 changed: its sha256 is "
    )
    assert str(folder) not in str(refused.value)


def test_a_changed_manifest_byte_names_the_manifest_even_when_it_breaks_the_json(
    package,
) -> None:
    folder, manifest = package
    data = bytearray((folder / "manifest.json").read_bytes())
    data[0] ^= 0xFF
    (folder / "manifest.json").write_bytes(bytes(data))

    with pytest.raises(IntegrityError) as refused:
        load_package(folder, expected_digest=package_digest(manifest))

    digest = package_digest(manifest)
    assert str(refused.value).startswith(f"manifest.json of package {digest[:12]} changed: ")


def test_expected_digest_is_accepted(package) -> None:
    folder, manifest = package

    assert load_package(folder, expected_digest=package_digest(manifest)).manifest == manifest


def test_edited_manifest_changes_the_digest(package) -> None:
    folder, manifest = package
    before = package_digest(folder)

    write_manifest(folder, manifest.model_copy(update={"tags": {"stage": "edited"}}))

    assert package_digest(folder) != before


def test_folder_without_manifest_is_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"has no manifest\.json: expected a model package"):
        load_package(tmp_path)


def test_manifest_that_breaks_the_schema_is_named(package) -> None:
    folder, _ = package
    (folder / "manifest.json").write_text('{"name": "x"}', encoding="utf-8")

    with pytest.raises(
        IntegrityError, match=r"^manifest.json of package .*pkg is not a valid manifest: format: "
    ):
        load_package(folder)
