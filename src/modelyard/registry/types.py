"""What the registry hands back: plain frozen values, detached from any database session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from modelyard.package.manifest import Manifest


@dataclass(frozen=True)
class ModelVersion:
    """One registered version: its immutable package plus its current tags and aliases.

    Hashable by identity (name, number, digest, creation), so versions can key caches.
    """

    name: str
    version: int
    digest: str
    manifest: Manifest = field(hash=False)
    created_at: datetime
    created_by: str
    artifact_uri: str
    tags: dict[str, str] = field(default_factory=dict, hash=False)
    aliases: list[str] = field(default_factory=list, hash=False)

    @property
    def ref(self) -> str:
        """``name:version``, the reference that always means exactly this package."""
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class VerifiedPackage:
    """A version's package, fetched and checked against its digest: what serves it.

    ``manifest`` is parsed from the package's verified bytes (never the database's copy).
    """

    version: ModelVersion
    path: Path
    manifest: Manifest


@dataclass(frozen=True)
class ModelSummary:
    """One line of ``list_models``: a name, how far it has got, and where its aliases point."""

    name: str
    latest_version: int | None
    versions: int
    aliases: dict[str, int]
    updated_at: datetime


@dataclass(frozen=True)
class AliasEvent:
    """One alias move from the audit log.

    ``from_version`` is ``None`` when the alias was created, ``to_version`` when it was
    deleted; ``rollback_of`` is the id of the move a rollback undid.
    """

    id: int
    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str
    reason: str
    at: datetime
    forced: bool = False
    rollback_of: int | None = None
