"""The true labels of logged predictions, which arrive late (hours or days after the answer).

One label per (endpoint, request id, instance): a later label for the same instance replaces
the earlier one, because a correction is the common case (a fraud case reopened, a ticket
re-triaged). Many labels are written in one transaction as one executemany of an upsert,
which SQLAlchemy sends as multi-row statements: a file of 100,000 labels costs a few hundred
statements, not 100,000 round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from modelyard.registry.database import Database
from modelyard.registry.schema import PredictionLabelRow, utcnow

CHUNK = 500
"""Request ids per look-up of the labels already kept (bound parameters stay far below
SQLite's 32,766)."""


class Label(NamedTuple):
    """The truth for one instance of one request."""

    request_id: str
    instance: int
    label: str


class StoredLabel(NamedTuple):
    """A label as kept: the truth, when it arrived, who sent it."""

    request_id: str
    instance: int
    label: str
    labelled_at: datetime
    actor: str


@dataclass(frozen=True)
class LabelCount:
    """What :meth:`LabelStore.add` did: labels stored for the first time, and corrections."""

    new: int
    replaced: int


def _chunks(items: Sequence[Label]) -> Iterator[Sequence[Label]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


_TABLE = PredictionLabelRow.__table__

_EXISTING = select(_TABLE.c.request_id, _TABLE.c.instance).where(
    _TABLE.c.endpoint == bindparam("endpoint"),
    _TABLE.c.request_id.in_(bindparam("ids", expanding=True)),
)
"""The labels already kept among some request ids (to count corrections)."""


def _upsert(session: Session) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE`` in the session's dialect: a label replaces the one
    kept for the same instance."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement = dialect.insert(_TABLE)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["endpoint", "request_id", "instance"],
        set_={
            "label": excluded.label,
            "labelled_at": excluded.labelled_at,
            "actor": excluded.actor,
        },
    )


class LabelStore:
    """Every endpoint's labels: added in bulk, read back since a time."""

    def __init__(self, db: Database, actor: Callable[[], str]) -> None:
        self._db = db
        self._actor = actor

    def add(self, endpoint: str, labels: Sequence[Label], actor: str | None = None) -> LabelCount:
        """Keep ``labels`` for ``endpoint``, all or none; a label already kept is replaced.

        The same (request id, instance) twice in ``labels``: the last one wins, counted once.
        """
        unique = list({(lab.request_id, lab.instance): lab for lab in labels}.values())
        who = actor or self._actor()

        rows = [
            {
                "endpoint": endpoint,
                "request_id": lab.request_id,
                "instance": lab.instance,
                "label": lab.label,
                "actor": who,
            }
            for lab in unique
        ]

        def work(session: Session) -> LabelCount:
            connection = session.connection()
            replaced = 0
            for chunk in _chunks(unique):
                ids = list({lab.request_id for lab in chunk})
                kept = {
                    (r, i)
                    for r, i in connection.execute(_EXISTING, {"endpoint": endpoint, "ids": ids})
                }
                replaced += sum((lab.request_id, lab.instance) in kept for lab in chunk)
            now = utcnow()
            for row in rows:
                row["labelled_at"] = now
            if rows:  # one executemany: SQLAlchemy sends it as multi-row statements
                connection.execute(_upsert(session), rows)
            return LabelCount(new=len(unique) - replaced, replaced=replaced)

        return self._db.write(work)

    def since(self, endpoint: str, since: datetime | None = None) -> list[StoredLabel]:
        """``endpoint``'s labels that arrived at or after ``since`` (all without it)."""

        def work(session: Session) -> list[StoredLabel]:
            query = select(
                PredictionLabelRow.request_id,
                PredictionLabelRow.instance,
                PredictionLabelRow.label,
                PredictionLabelRow.labelled_at,
                PredictionLabelRow.actor,
            ).where(PredictionLabelRow.endpoint == endpoint)
            if since is not None:
                query = query.where(PredictionLabelRow.labelled_at >= since)
            return [StoredLabel(*row) for row in session.execute(query)]

        return self._db.read(work)
