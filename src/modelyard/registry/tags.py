"""Version tags: mutable labels kept beside the immutable version row, never inside it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from modelyard.core.errors import NotFoundError
from modelyard.registry.schema import TagRow, VersionRow


def put(session: Session, row: VersionRow, key: str, value: str) -> None:
    """Set (or replace) ``key`` on the version ``row``."""
    tag = session.get(TagRow, (row.name, row.version, key))
    if tag is None:
        session.add(TagRow(name=row.name, version=row.version, key=key, value=value))
    else:
        tag.value = value


def remove(session: Session, row: VersionRow, key: str) -> None:
    """Delete ``key`` from the version ``row``, or say which keys it has."""
    tag = session.get(TagRow, (row.name, row.version, key))
    if tag is None:
        keys = session.scalars(
            select(TagRow.key)
            .where(TagRow.name == row.name, TagRow.version == row.version)
            .order_by(TagRow.key)
        ).all()
        raise NotFoundError(
            f"version {row.version} of {row.name!r} has no tag {key!r}; "
            f"tags: {', '.join(keys) if keys else '(none)'}"
        )
    session.delete(tag)
