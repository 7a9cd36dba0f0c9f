"""Alias moves with their audit trail, and the rule rollback follows.

Every change of ``name@alias`` writes one :class:`AliasEventRow` in the same transaction as the
move, so the log and the pointer never disagree.

Rollback is *undo*. The alias's moves form a stack; a rollback undoes the most recent move
that has not been undone yet (and is not itself a rollback), putting the alias back to that
move's ``from_version``. Rolling back again undoes the move before it, so repeated rollbacks
walk back through history instead of flipping between two versions. A new move after a
rollback goes on top of the stack, and the next rollback undoes it. Moves that did not change
the target (setting an alias to where it already points) are recorded but never undone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from modelyard.core.errors import ConflictError, NotFoundError
from modelyard.registry.schema import AliasEventRow, AliasRow, utcnow
from modelyard.registry.types import AliasEvent


def current(session: Session, name: str) -> dict[str, int]:
    """Every alias of ``name`` and the version it points to."""
    rows = session.scalars(select(AliasRow).where(AliasRow.name == name).order_by(AliasRow.alias))
    return {row.alias: row.version for row in rows}


def move(
    session: Session,
    name: str,
    alias: str,
    to_version: int | None,
    *,
    actor: str,
    reason: str,
    forced: bool = False,
    rollback_of: int | None = None,
) -> AliasEventRow:
    """Point ``name@alias`` at ``to_version`` (``None`` deletes it) and record the move.

    The caller holds the model's lock and has checked that ``to_version`` exists.
    """
    row = session.get(AliasRow, (name, alias))
    from_version = row.version if row is not None else None
    if to_version is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(AliasRow(name=name, alias=alias, version=to_version))
    else:
        row.version = to_version
    event = AliasEventRow(
        name=name,
        alias=alias,
        from_version=from_version,
        to_version=to_version,
        actor=actor,
        reason=reason,
        at=utcnow(),
        forced=forced,
        rollback_of=rollback_of,
    )
    session.add(event)
    session.flush()
    return event


def history(session: Session, name: str, alias: str | None = None) -> list[AliasEventRow]:
    """The moves of ``name``'s aliases (or of one alias), oldest first."""
    query = select(AliasEventRow).where(AliasEventRow.name == name)
    if alias is not None:
        query = query.where(AliasEventRow.alias == alias)
    return list(session.scalars(query.order_by(AliasEventRow.id)).all())


def move_to_undo(session: Session, name: str, alias: str) -> AliasEventRow:
    """The move a rollback of ``name@alias`` undoes (see the module's rule)."""
    events = history(session, name, alias)
    if not events:
        raise NotFoundError(
            f"no alias {alias!r} on {name!r} has ever been set; expected one to roll back"
        )
    undone = {event.rollback_of for event in events if event.rollback_of is not None}
    for event in reversed(events):
        if event.rollback_of is not None or event.id in undone:
            continue
        if event.from_version == event.to_version:
            continue
        if event.from_version is None:
            raise ConflictError(
                f"cannot roll back {name}@{alias}: it pointed nowhere before version "
                f"{event.to_version}; expected an earlier target to return to"
            )
        return event
    raise ConflictError(
        f"cannot roll back {name}@{alias}: every earlier move is already rolled back; "
        "expected an earlier target to return to"
    )


def to_event(row: AliasEventRow) -> AliasEvent:
    """A detached :class:`AliasEvent` of ``row``."""
    return AliasEvent(
        id=row.id,
        name=row.name,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        actor=row.actor,
        reason=row.reason,
        at=row.at,
        forced=row.forced,
        rollback_of=row.rollback_of,
    )
