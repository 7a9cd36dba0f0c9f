"""The artifact store: package folders kept by digest on any fsspec filesystem.

Layout: ``<root>/packages/<digest>/<files>``. A package is never found half-stored: on a
local folder it is first copied under ``<root>/tmp/`` and then renamed to its digest (one
atomic ``os.rename``); on an object store (S3, GCS, Azure, fsspec's memory store), which has
no folders and no rename, each file is written straight to its final key, the manifest last,
and a package counts as stored once its manifest is there. Nothing on an object store depends
on folder semantics: no folder is made, moved or removed; whole objects named by their full
key are written, read and tested for existence. Since the name is the content's hash, storing
the same package twice is a no-op and two writers racing on it write the same bytes.

A remote package is fetched manifest first: its bytes are checked against the digest, and
only the file names of that verified manifest, each a plain relative path (see
:func:`~modelyard.package.io.is_safe_file_name`), are then downloaded, each into the cache
folder. Nothing the database or the store says can make a fetch write anywhere else.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.core.extras import MissingExtraError, install_hint
from modelyard.package.io import checked_manifest
from modelyard.package.manifest import MANIFEST_FILE, Manifest

PROTOCOL_LIBRARIES = {"s3": "s3fs", "s3a": "s3fs"}
"""The fsspec implementation an extra of ours installs, by URL scheme."""


def open_filesystem(url: str) -> tuple[AbstractFileSystem, str]:
    """The filesystem and root path of ``url``, or one line saying what is missing: the extra
    that installs its implementation when we have one (fsspec's own message names no install
    command), else fsspec's message. Only the scheme is repeated: a URL may hold credentials.
    """
    scheme = url.partition("://")[0]
    try:
        return url_to_fs(url)
    except ImportError as error:
        hint = install_hint(PROTOCOL_LIBRARIES.get(scheme, "")) or f"a library: {error}"
        raise MissingExtraError(f"the {scheme}:// artifact store needs {hint}") from None
    except ValueError as error:
        if not str(error).startswith("Protocol not known"):
            raise
        raise ConfigError(
            f"the artifact store's scheme {scheme}:// is not one fsspec knows; expected a folder "
            "or a URL such as s3://bucket/prefix"
        ) from None


def stored_files(manifest: Manifest) -> list[str]:
    """Every file of a package, relative to its folder: the listed files, then the manifest.

    The manifest goes last so that, on stores without a directory rename, its presence means
    the rest is there.
    """
    return [*sorted(manifest.files), MANIFEST_FILE]


class ArtifactStore:
    """Packages by digest under ``url``; remote packages are fetched into ``cache_dir``."""

    def __init__(self, url: str, cache_dir: str | Path) -> None:
        fs, root = open_filesystem(url)
        self.fs: AbstractFileSystem = fs
        self.root: str = root.rstrip("/")
        self.cache_dir = Path(cache_dir)
        self.is_local = isinstance(fs, LocalFileSystem)

    def uri(self, digest: str) -> str:
        """Where the package with ``digest`` lives, as a URL fsspec can open."""
        return str(self.fs.unstrip_protocol(self._path(digest)))

    def put(self, package_dir: Path, manifest: Manifest, digest: str) -> str:
        """Store the package's files under ``digest`` (once) and return its URI."""
        final = self._path(digest)
        if not self.fs.exists(f"{final}/{MANIFEST_FILE}"):
            if self.is_local:
                self._put_local(package_dir, manifest, digest)
            else:
                for relative in stored_files(manifest):  # the manifest last: it marks completion
                    self.fs.put_file(str(package_dir / relative), f"{final}/{relative}")
        return self.uri(digest)

    def _put_local(self, package_dir: Path, manifest: Manifest, digest: str) -> None:
        """Copy under ``tmp/``, then one ``os.rename`` into place: atomic, and it fails if
        the package is already there (fsspec's local ``mv`` would nest the folder inside it)."""
        final = Path(self._path(digest))
        staging = Path(self.root) / "tmp" / f"{digest}.{uuid.uuid4().hex}"
        for relative in stored_files(manifest):
            target = staging.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package_dir / relative, target)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staging, final)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not (final / MANIFEST_FILE).is_file():
                raise
            # a concurrent writer stored the same bytes first

    def local_copy(self, digest: str, label: str) -> Path:
        """A local folder holding the package: the stored folder itself on a local store,
        else a copy cached under ``cache_dir/<digest>`` (downloaded once, then reused).

        ``label`` names the package in errors (the store's paths never appear in them).
        """
        if self.is_local:
            return Path(self._path(digest))
        cached = self.cache_dir / digest
        if cached.is_dir():
            return cached
        staging = self.cache_dir / "tmp" / f"{digest}.{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            manifest_path = self._download(digest, MANIFEST_FILE, staging, label)
            manifest = checked_manifest(manifest_path.read_bytes(), digest, label)
            for relative in sorted(manifest.files):
                self._download(digest, relative, staging, label)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            os.rename(staging, cached)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not cached.is_dir():
                raise
            # a concurrent fetch finished first
        return cached

    def _download(self, digest: str, relative: str, staging: Path, label: str) -> Path:
        """One file of a package into ``staging``. ``relative`` comes from a manifest already
        checked against the digest, whose parser refuses any name that could leave the folder
        (:func:`~modelyard.package.io.is_safe_file_name`)."""
        target = staging.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.fs.get_file(f"{self._path(digest)}/{relative}", str(target))
        except FileNotFoundError:
            raise NotFoundError(f"{label}: {relative} is missing from the artifact store") from None
        return target

    def _path(self, digest: str) -> str:
        return f"{self.root}/packages/{digest}"
