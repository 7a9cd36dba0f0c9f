"""The registry baked into an image: exactly the versions its endpoints serve, under the same
numbers and aliases, so ``name@production`` and ``name:3`` mean inside what they mean here.

Each package is read through :meth:`Registry.verified` (every file re-hashed against the
registered digest) and registered again in a fresh SQLite registry under its own number
(``register(..., number=N)``), whose registration verifies it once more; the copy must come
out under the same digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from modelyard.core.errors import IntegrityError
from modelyard.registry import Registry
from modelyard.registry.types import ModelVersion

DATABASE = "registry.db"
ACTOR = "modelyard containerize"


def write_image_registry(
    source: Registry, versions: Iterable[ModelVersion], home: Path
) -> list[ModelVersion]:
    """A SQLite registry in ``home`` holding ``versions`` (and every alias of ``source`` that
    points at one of them); the copies, in name and number order."""
    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / DATABASE}"
    target = Registry(url, str(home / "artifacts"), cache_dir=home / "cache", create=True)
    ordered = sorted(set(versions), key=lambda v: (v.name, v.version))
    copies = []
    try:
        for name, group in groupby(ordered, key=lambda v: v.name):
            kept = list(group)
            for version in kept:
                package = source.verified(version)
                copy = target.register(package.path, actor=ACTOR, number=version.version)
                if copy.digest != version.digest:
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
        target.close()
