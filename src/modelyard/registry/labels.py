"""The true labels of logged predictions, which arrive late (hours or days after the answer).

One label per (endpoint, request id, instance): a later label for the same instance replaces
the earlier one, because a correction is the common case (a fraud case reopened, a ticket
re-triaged). Many labels are written in one transaction with one multi-row upsert per chunk,
so a file of 100,000 labels costs a few statements, not 100,000 round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from modelyard.registry.database import Database
from modelyard.registry.schema import PredictionLabelRow, utcnow

CHUNK = 500
"""Rows per statement: SQLite allows 32,766 bound parameters, and 500 rows of 6 stay far below
while keeping statements few."""


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


def _upsert(session: Session) -> Any:
    """The dialect's INSERT, which alone knows ``ON CONFLICT DO UPDATE``."""
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


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

        def work(session: Session) -> LabelCount:
            now = utcnow()
            insert = _upsert(session)
            replaced = 0
            for chunk in _chunks(unique):
                keys = [(lab.request_id, lab.instance) for lab in chunk]
                replaced += len(
                    session.execute(
                        select(PredictionLabelRow.request_id).where(
                            PredictionLabelRow.endpoint == endpoint,
                            tuple_(PredictionLabelRow.request_id, PredictionLabelRow.instance).in_(
                                keys
                            ),
                        )
                    ).all()
                )
                statement = insert(PredictionLabelRow).values(
                    [
                        {
                            "endpoint": endpoint,
                            "request_id": lab.request_id,
                            "instance": lab.instance,
                            "label": lab.label,
                            "labelled_at": now,
                            "actor": who,
                        }
                        for lab in chunk
                    ]
                )
                excluded = statement.excluded
                session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["endpoint", "request_id", "instance"],
                        set_={
                            "label": excluded.label,
                            "labelled_at": excluded.labelled_at,
                            "actor": excluded.actor,
                        },
                    )
                )
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
