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


def package_label(directory: str | Path, expected_digest: str | None = None) -> str:
    """How messages name a package: by its digest when it is known, else by its folder.

    A registered package is named by digest (or by the caller, as ``name:version``) and never
    by the folder it sits in: that is a path on the server, and these messages reach error
    answers over HTTP.
    """
    if expected_digest is not None:
        return f"package {expected_digest[:12]}"
    return f"package {directory}"


def is_safe_file_name(name: str) -> bool:
    """Whether ``name`` is a plain relative path inside a package folder.

    Refused: empty names and parts, ``.`` and ``..``, absolute paths and drive letters,
    backslashes, NUL and every other control character. Whatever the record says, a package
    file is then written and read only inside its own folder.
    """
    parts = name.split("/")
    return (
        bool(name)
        and "\\" not in name
        and ":" not in parts[0]
        and all(part not in ("", ".", "..") for part in parts)
        and all(ord(char) >= 32 and ord(char) != 127 for char in name)
    )


def _parse(data: bytes, label: str) -> Manifest:
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise IntegrityError(
            f"{MANIFEST_FILE} of {label} is not a valid manifest: {where}: {first['msg']}"
        ) from None
    unsafe = sum(not is_safe_file_name(name) for name in [*manifest.files, manifest.model_file])
    if unsafe:
        raise IntegrityError(
            f"{MANIFEST_FILE} of {label} lists {unsafe} unsafe file name(s): expected relative "
            "paths inside the package (no '..', absolute paths, backslashes or control "
            "characters)"
        )
    return manifest


def _manifest_bytes(directory: str | Path, label: str) -> bytes:
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise NotFoundError(f"{label} has no {MANIFEST_FILE}: expected a model package folder")
    return path.read_bytes()


def read_manifest(directory: str | Path) -> Manifest:
    """The manifest of a package folder, validated against the schema (files not checked)."""
    label = package_label(directory)
    return _parse(_manifest_bytes(directory, label), label)


def package_digest(source: str | Path | Manifest) -> str:
    """The package digest: the sha256 of the manifest's bytes.

    For a folder, the bytes as stored — not re-encoded — so a package written before the
    schema gained an optional field keeps its digest; for a :class:`Manifest`, its canonical
    bytes (what :func:`write_manifest` stores).
    """
    if isinstance(source, Manifest):
        return sha256_bytes(canonical_bytes(source))
    return sha256_bytes(_manifest_bytes(source, package_label(source)))


def checked_manifest(data: bytes, expected_digest: str | None, label: str) -> Manifest:
    """The manifest in ``data``, its bytes first checked against ``expected_digest``.

    The bytes are checked before they are parsed, so a changed byte is reported as a change
    of ``manifest.json`` rather than as whatever parse error it happens to cause.
    """
    if expected_digest is not None:
        digest = sha256_bytes(data)
        if digest != expected_digest:
            raise IntegrityError(
                f"{MANIFEST_FILE} of {label} changed: its sha256 is {digest[:12]}…, the "
                f"package digest recorded is {expected_digest[:12]}…; refusing to use it"
            )
    return _parse(data, label)


def verify_package(
    directory: str | Path, expected_digest: str | None = None, *, label: str | None = None
) -> Manifest:
    """The manifest of a package whose files all match their recorded sha256.

    With ``expected_digest``, the manifest's bytes are checked first, before they are even
    parsed, so a changed byte is reported as a change of ``manifest.json`` (not as a parse
    error). Raises :class:`IntegrityError` naming the manifest, or every changed, missing or
    unlisted file. ``label`` names the package in messages (default: see
    :func:`package_label`).
    """
    name = label or package_label(directory, expected_digest)
    manifest = checked_manifest(_manifest_bytes(directory, name), expected_digest, name)
    actual = package_files(directory)
    problems = [
        f"{file} changed (sha256 {actual[file][:12]}…, recorded {recorded[:12]}…)"
        for file, recorded in sorted(manifest.files.items())
        if file in actual and actual[file] != recorded
    ]
    problems += [f"{file} is missing" for file in sorted(set(manifest.files) - set(actual))]
    problems += [f"{file} is not listed" for file in sorted(set(actual) - set(manifest.files))]
    if manifest.model_file not in manifest.files:
        problems.append(f"model file {manifest.model_file} is not listed")
    if problems:
        raise IntegrityError(f"{name} does not match its manifest: {'; '.join(problems)}")
    return manifest
