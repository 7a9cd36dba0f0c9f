"""Where the registry is: an explicit URL, else ``MODELYARD_REGISTRY_URL``, else the nearest
``.modelyard/`` folder found by walking up from the current folder, as git finds ``.git/``.

Reading never creates a registry: a command run from the wrong folder must say where it
looked rather than answer from a new, empty database. Only a writer (logging a model, moving
an alias) creates ``./.modelyard/`` when none is found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from modelyard.core.errors import NotFoundError

HOME = ".modelyard"
DATABASE = "registry.db"
URL_VARIABLE = "MODELYARD_REGISTRY_URL"
ARTIFACTS_VARIABLE = "MODELYARD_ARTIFACTS"
HOW_TO_POINT = f"pass --registry URL or set {URL_VARIABLE}"


class RegistryNotFoundError(NotFoundError):
    """No registry where one was looked for, and the caller only reads."""


@dataclass(frozen=True)
class Location:
    """The metadata URL, the artifact store and the local cache of one registry, and the
    folder they default to (``.modelyard/``, or the SQLite file's folder)."""

    url: str
    artifacts: str
    cache_dir: Path
    home: Path


def find_home(here: Path) -> Path | None:
    """The nearest ``.modelyard/`` holding a ``registry.db``, in ``here`` or above. A
    ``.modelyard/`` without one (a cache, demo files) is passed over, so it never stands for
    an empty registry."""
    for folder in (here, *here.parents):
        candidate = folder / HOME
        if (candidate / DATABASE).is_file():
            return candidate
    return None


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, any driver (None for other databases and in-memory
    SQLite), read by SQLAlchemy's own URL parser."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def locate(
    url: str | None = None,
    artifacts: str | None = None,
    *,
    create: bool = False,
) -> Location:
    """The registry to open; with ``create`` false, an error instead of a new, empty one.

    Packages default to ``artifacts/`` beside the SQLite file (else beside the nearest
    ``.modelyard/``), so a registry copied as one folder stays whole.
    """
    url = url or os.environ.get(URL_VARIABLE)
    artifacts = artifacts or os.environ.get(ARTIFACTS_VARIABLE)
    here = Path.cwd().resolve()
    if url is None:
        home = find_home(here) or _new_home(here, create)
        url = f"sqlite:///{home / DATABASE}"
    else:
        database = _sqlite_file(url)
        if database is not None and not create and not database.is_file():
            raise RegistryNotFoundError(
                f"no registry at {database.resolve()}: expected an existing SQLite file; "
                f"{HOW_TO_POINT} naming one"
            )
        home = database.resolve().parent if database else find_home(here) or here / HOME
    return Location(url, artifacts or str(home / "artifacts"), home / "cache", home)


def _new_home(here: Path, create: bool) -> Path:
    """``here/.modelyard/``, made for a writer; for a reader, the error saying where we looked."""
    if not create:
        raise RegistryNotFoundError(
            f"no registry found: looked for {HOME}/ in {here} and every folder above it; "
            f"run from inside a project that has one, or {HOW_TO_POINT}"
        )
    home = here / HOME
    home.mkdir(parents=True, exist_ok=True)
    return home
