"""The registry baked into an image: exactly the versions its endpoints serve, under the same
numbers and aliases, so ``name@production`` and ``name:3`` mean inside what they mean here.

Each package is read through :meth:`Registry.verified` (every file re-hashed against the
registered digest) and registered again in a fresh SQLite registry, whose registration
verifies it once more; the copy must come out under the same digest. A fresh registry would
number every model from 1, so each model's version counter is first set just below the number
being copied (the counter only ever grows, which keeps the registry's rule that a number is
never reused).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from sqlalchemy.orm import Session

from modelyard.core.errors import IntegrityError
from modelyard.registry import Registry
from modelyard.registry.database import Database, lock_model
from modelyard.registry.schema import ModelRow, utcnow
from modelyard.registry.types import ModelVersion

DATABASE = "registry.db"
ACTOR = "modelyard containerize"


def _continue_numbering(db: Database, name: str, after: int) -> None:
    """Make ``name``'s next registered version number ``after + 1``."""

    def work(session: Session) -> None:
        model = lock_model(session, name)
        if model is None:
            now = utcnow()
            model = ModelRow(name=name, last_version=after, created_at=now, updated_at=now)
            session.add(model)
        model.last_version = after

    db.write(work)


def write_image_registry(
    source: Registry, versions: Iterable[ModelVersion], home: Path
) -> list[ModelVersion]:
    """A SQLite registry in ``home`` holding ``versions`` (and every alias of ``source`` that
    points at one of them); the copies, in name and number order."""
    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / DATABASE}"
    target = Registry(url, str(home / "artifacts"), cache_dir=home / "cache", create=True)
    numbering = Database(url)
    ordered = sorted(set(versions), key=lambda v: (v.name, v.version))
    copies = []
    try:
        for name, group in groupby(ordered, key=lambda v: v.name):
            kept = list(group)
            for version in kept:
                package = source.verified(version)
                _continue_numbering(numbering, name, version.version - 1)
                copy = target.register(package.path, actor=ACTOR)
                if (copy.version, copy.digest) != (version.version, version.digest):
                    raise IntegrityError(
                        f"{version.ref}: the copy came out as {copy.ref} (package "
                        f"{copy.digest[:12]}), expected package {version.digest[:12]}"
                    )
                copies.append(copy)
            numbers = {version.version for version in kept}
            for alias, number in sorted(source.aliases(name).items()):
                if number in numbers:
                    target.set_alias(
                        name,
                        alias,
                        number,
                        reason="as in the registry the image was built from",
                        actor=ACTOR,
                    )
        return [target.get(copy.ref) for copy in copies]
    finally:
        numbering.dispose()
        target.close()
