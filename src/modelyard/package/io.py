"""Reading, writing and verifying package folders.

The manifest is written as canonical JSON (sorted keys, no insignificant whitespace, UTF-8),
so the same manifest always has the same bytes and the package digest — the sha256 of those
bytes — names its content. The manifest lists the sha256 of every other file, so the digest
covers the model weights too. Verification reads only hashes and JSON: nothing is unpickled
or parsed as a model before it passes.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from modelyard.core.digests import sha256_bytes, sha256_file
from modelyard.core.errors import IntegrityError, NotFoundError
from modelyard.package.manifest import MANIFEST_FILE, Manifest


def canonical_bytes(manifest: Manifest) -> bytes:
    """The canonical JSON encoding of ``manifest``: what is written and what is hashed."""
    document = manifest.model_dump(mode="json")
    text = json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def package_files(directory: str | Path) -> dict[str, str]:
    """The sha256 of every file in a package folder except the manifest, by relative path."""
    root = Path(directory)
    return {
        path.relative_to(root).as_posix(): sha256_file(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() != MANIFEST_FILE
    }


def write_manifest(directory: str | Path, manifest: Manifest) -> Manifest:
    """Hash the folder's files into ``manifest.files`` and write ``manifest.json``.

    Returns the manifest as written (with ``files`` filled in).
    """
    written = manifest.model_copy(update={"files": package_files(directory)})
    if written.model_file not in written.files:
        raise IntegrityError(
            f"model file {written.model_file!r} is not in {directory}: expected the format to "
            "have written it before the manifest"
        )
    (Path(directory) / MANIFEST_FILE).write_bytes(canonical_bytes(written))
    return written


def read_manifest(directory: str | Path) -> Manifest:
    """The manifest of a package folder, validated against the schema (files not checked)."""
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise NotFoundError(f"{directory} has no {MANIFEST_FILE}: expected a model package folder")
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise IntegrityError(f"{path} is not a valid manifest: {where}: {first['msg']}") from None


def package_digest(source: str | Path | Manifest) -> str:
    """The package digest: the sha256 of the manifest's bytes.

    For a folder, the bytes as stored — not re-encoded — so a package written before the
    schema gained an optional field keeps its digest; for a :class:`Manifest`, its canonical
    bytes (what :func:`write_manifest` stores).
    """
    if isinstance(source, Manifest):
        return sha256_bytes(canonical_bytes(source))
    path = Path(source) / MANIFEST_FILE
    if not path.is_file():
        raise NotFoundError(f"{source} has no {MANIFEST_FILE}: expected a model package folder")
    return sha256_bytes(path.read_bytes())


def verify_package(directory: str | Path, expected_digest: str | None = None) -> Manifest:
    """The manifest of a package whose files all match their recorded sha256.

    Raises :class:`IntegrityError` naming every changed, missing or unlisted file, or the
    digest when it differs from ``expected_digest``.
    """
    manifest = read_manifest(directory)
    if expected_digest is not None:
        digest = package_digest(directory)
        if digest != expected_digest:
            raise IntegrityError(
                f"package {directory} has digest {digest}, expected {expected_digest}"
            )
    actual = package_files(directory)
    problems = [
        f"{name} changed (sha256 {actual[name][:12]}…, recorded {recorded[:12]}…)"
        for name, recorded in sorted(manifest.files.items())
        if name in actual and actual[name] != recorded
    ]
    problems += [f"{name} is missing" for name in sorted(set(manifest.files) - set(actual))]
    problems += [f"{name} is not listed" for name in sorted(set(actual) - set(manifest.files))]
    if manifest.model_file not in manifest.files:
        problems.append(f"model file {manifest.model_file} is not listed")
    if problems:
        raise IntegrityError(
            f"package {directory} does not match its manifest: {'; '.join(problems)}"
        )
    return manifest
