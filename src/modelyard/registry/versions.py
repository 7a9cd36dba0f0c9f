"""Finding versions by reference, and the messages that say what exists when one is missing."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modelyard.core.errors import IntegrityError, NotFoundError
from modelyard.core.refs import ModelRef
from modelyard.package.manifest import Manifest
from modelyard.registry.schema import AliasRow, ModelRow, TagRow, VersionRow
from modelyard.registry.types import ModelVersion


def _listing(items: list[str]) -> str:
    return ", ".join(items) if items else "(none)"


def require_model(session: Session, name: str) -> ModelRow:
    """The model's row, or a :class:`NotFoundError` listing the models there are."""
    row = session.get(ModelRow, name)
    if row is None:
        names = session.scalars(select(ModelRow.name).order_by(ModelRow.name)).all()
        raise NotFoundError(f"no model {name!r}; models: {_listing(list(names))}")
    return row


def live_versions(session: Session, name: str) -> list[VersionRow]:
    """The versions of ``name`` that are not deleted, oldest first."""
    query = (
        select(VersionRow)
        .where(VersionRow.name == name, VersionRow.deleted_at.is_(None))
        .order_by(VersionRow.version)
    )
    return list(session.scalars(query).all())


def require_version(session: Session, name: str, version: int) -> VersionRow:
    """Version ``version`` of ``name``, or a :class:`NotFoundError` listing the ones there are."""
    require_model(session, name)
    row = session.scalars(
        select(VersionRow).where(VersionRow.name == name, VersionRow.version == version)
    ).first()
    if row is not None and row.deleted_at is None:
        return row
    existing = _listing([str(v.version) for v in live_versions(session, name)])
    deleted = (
        f" (deleted by {row.deleted_by} at {row.deleted_at:%Y-%m-%d %H:%M:%S} UTC)"
        if row is not None and row.deleted_at is not None
        else ""
    )
    raise NotFoundError(f"model {name!r} has no version {version}{deleted}; versions: {existing}")


def resolve(session: Session, ref: ModelRef) -> VersionRow:
    """The version a reference means: by number, through an alias, or the latest."""
    if ref.version is not None:
        return require_version(session, ref.name, ref.version)
    require_model(session, ref.name)
    if ref.alias is not None:
        alias = session.get(AliasRow, (ref.name, ref.alias))
        if alias is None:
            names = session.scalars(
                select(AliasRow.alias).where(AliasRow.name == ref.name).order_by(AliasRow.alias)
            ).all()
            raise NotFoundError(
                f"no alias {ref.alias!r} on {ref.name!r}; aliases: {_listing(list(names))}"
            )
        return require_version(session, ref.name, alias.version)
    latest = session.scalar(
        select(func.max(VersionRow.version)).where(
            VersionRow.name == ref.name, VersionRow.deleted_at.is_(None)
        )
    )
    if latest is None:
        raise NotFoundError(f"model {ref.name!r} has no versions; register one first")
    return require_version(session, ref.name, latest)


def to_model_version(session: Session, row: VersionRow, artifact_uri: str) -> ModelVersion:
    """A detached :class:`ModelVersion` of ``row`` with its current tags and aliases."""
    tags = session.execute(
        select(TagRow.key, TagRow.value)
        .where(TagRow.name == row.name, TagRow.version == row.version)
        .order_by(TagRow.key)
    ).all()
    aliases = session.scalars(
        select(AliasRow.alias)
        .where(AliasRow.name == row.name, AliasRow.version == row.version)
        .order_by(AliasRow.alias)
    ).all()
    try:
        manifest = Manifest.model_validate_json(row.manifest_json)
    except ValidationError as error:
        where = ".".join(str(part) for part in error.errors()[0]["loc"]) or "(top level)"
        raise IntegrityError(
            f"the registry's record of {row.name}:{row.version} holds an invalid manifest at "
            f"{where}: restore the record from its package"
        ) from None
    return ModelVersion(
        name=row.name,
        version=row.version,
        digest=row.digest,
        manifest=manifest,
        created_at=row.created_at,
        created_by=row.created_by,
        artifact_uri=artifact_uri,
        tags={key: value for key, value in tags},
        aliases=list(aliases),
    )
