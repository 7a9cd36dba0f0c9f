"""Rollout state in the registry database, shared by every server replica and the CLI.

Each replica counts what its arms did in memory and folds those *deltas* into the database
with :meth:`RolloutStore.sync`, in one transaction that locks the rollout's row first
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already serialises
writers). Counters only add up, so replicas never overwrite each other: the stored sums are
exactly what all of them counted, and whichever replica syncs next judges the same figures.
The judgement itself (``decide``) runs inside that transaction, on the state it just wrote,
so two replicas can never both advance a step or both promote: the second one sees the first
one's transition.

Requests (which arm answered, what it predicted) and their feedback are kept in their own
tables for the feedback window; :meth:`RolloutStore.prune` drops what is older.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from modelyard.core.errors import ConflictError, NotFoundError
from modelyard.registry import aliases
from modelyard.registry.answer_blocks import NumberedAnswers, block_row, find_answered
from modelyard.registry.database import Database, lock_model
from modelyard.registry.rollout_rows import credit, encode_counters, to_event, to_state
from modelyard.registry.rollout_types import (
    ArmCounters,
    ArmState,
    RolloutEvent,
    RolloutState,
    Transition,
)
from modelyard.registry.schema import (
    RolloutArmRow,
    RolloutEventRow,
    RolloutFeedbackRow,
    RolloutRequestBlockRow,
    RolloutRequestRow,
    RolloutRow,
    utcnow,
)
from modelyard.registry.versions import require_version

Decide = Callable[[RolloutState], Transition | None]
RequestRecord = tuple[str, str, builtins.list[Any] | None, datetime]
"""(request id, arm that answered, labels it predicted or ``None``, when)."""
FeedbackItem = tuple[str, str, float, str | None]
"""(request id, arm that answered it, reward in [0, 1], label sent or ``None``)."""


def missing(endpoint: str, known: Iterable[str]) -> NotFoundError:
    """The error for an endpoint without a rollout, naming the endpoints that have one."""
    names = sorted(known)
    listing = ", ".join(names) if names else "(none)"
    return NotFoundError(f"no rollout for endpoint {endpoint!r}; rollouts: {listing}")


def _arm_rows(session: Session, endpoint: str) -> builtins.list[RolloutArmRow]:
    query = (
        select(RolloutArmRow)
        .where(RolloutArmRow.endpoint == endpoint)
        .order_by(RolloutArmRow.position)
    )
    return builtins.list(session.scalars(query))


def _locked(session: Session, endpoint: str) -> RolloutRow:
    """The rollout's row, locked until the transaction ends, or the error naming the known."""
    query = select(RolloutRow).where(RolloutRow.endpoint == endpoint).with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise missing(endpoint, session.scalars(select(RolloutRow.endpoint)))
    return row


def _event(
    row: RolloutRow,
    *,
    at: datetime,
    actor: str,
    action: str,
    from_state: str | None,
    reason: str,
    figures: Mapping[str, Any],
) -> RolloutEventRow:
    return RolloutEventRow(
        endpoint=row.endpoint,
        at=at,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=row.state,
        step=row.step,
        reason=reason,
        figures_json=orjson.dumps(dict(figures)).decode(),
    )


def _apply(
    session: Session, row: RolloutRow, arms: Sequence[RolloutArmRow], change: Transition
) -> None:
    """Write what ``change`` decided: weights always; the rest only when it is recorded."""
    if change.weights is not None:
        for arm in arms:
            if arm.name in change.weights:
                arm.weight = change.weights[arm.name]
    if not change.record:
        return
    now = utcnow()
    before = row.state
    row.state = change.state
    if change.step is not None:
        row.step = change.step
    if change.reset_step:
        empty = encode_counters(ArmCounters())
        for arm in arms:
            arm.step_json = empty
        row.step_started_at = now
    row.revision += 1
    session.add(
        _event(
            row,
            at=now,
            actor=change.actor,
            action=change.action,
            from_state=before,
            reason=change.reason,
            figures=change.figures,
        )
    )
    if change.alias_move is not None:
        move = change.alias_move
        model = lock_model(session, move.name)
        require_version(session, move.name, move.version)
        if model is not None:
            model.updated_at = now
        aliases.move(
            session, move.name, move.alias, move.version, actor=change.actor, reason=move.reason
        )


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which alone knows ``ON CONFLICT DO NOTHING``."""
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


class RolloutStore:
    """Every endpoint's rollout: its state, its history, its requests and their feedback.

    ``actor`` names who acts when nobody says (the login name): it is recorded on the events
    :meth:`start` writes. Transitions carry their own actor.
    """

    def __init__(self, db: Database, actor: Callable[[], str]) -> None:
        self._db = db
        self._actor = actor

    def start(
        self,
        endpoint: str,
        strategy: str,
        digest: str,
        primary: str,
        arms: Sequence[ArmState],
    ) -> RolloutState:
        """The rollout of ``endpoint`` for the configuration ``digest``.

        The same digest resumes the stored rollout unchanged (a restarted server, a second
        replica). Another digest, or none stored, starts anew: arms as given with empty
        counters, state ``running``, step 0 for a canary; the endpoint's recorded requests and
        feedback are dropped, and the history gets a ``start`` event.
        """
        actor = self._actor()

        def work(session: Session) -> RolloutState:
            query = select(RolloutRow).where(RolloutRow.endpoint == endpoint).with_for_update()
            row = session.scalars(query).first()
            if row is not None and row.digest == digest:
                return to_state(row, _arm_rows(session, endpoint))
            before = None if row is None else row.state
            now = utcnow()
            if row is None:
                row = RolloutRow(endpoint=endpoint)
                session.add(row)
            else:
                for table in (
                    RolloutArmRow,
                    RolloutRequestRow,
                    RolloutRequestBlockRow,
                    RolloutFeedbackRow,
                ):
                    session.execute(delete(table).where(table.endpoint == endpoint))
            row.strategy, row.digest, row.primary = strategy, digest, primary
            row.state, row.step = "running", 0 if strategy == "canary" else None
            row.started_at = row.step_started_at = row.updated_at = now
            row.revision = 1
            session.flush()  # a replica starting the same rollout at once fails here, retried
            empty = encode_counters(ArmCounters())
            rows = [
                RolloutArmRow(
                    endpoint=endpoint,
                    name=arm.name,
                    position=position,
                    ref=arm.ref,
                    version=arm.version,
                    role=arm.role,
                    weight=arm.weight,
                    total_json=empty,
                    step_json=empty,
                )
                for position, arm in enumerate(arms)
            ]
            session.add_all(rows)
            session.add(
                _event(
                    row,
                    at=now,
                    actor=actor,
                    action="start",
                    from_state=before,
                    reason="started" if before is None else "configuration changed",
                    figures={"digest": digest, "weights": {a.name: a.weight for a in arms}},
                )
            )
            session.flush()
            return to_state(row, rows)

        return self._db.write(work)

    def get(self, endpoint: str) -> RolloutState | None:
        """The rollout of ``endpoint`` as stored now, or ``None`` when it has none."""

        def work(session: Session) -> RolloutState | None:
            row = session.get(RolloutRow, endpoint)
            return None if row is None else to_state(row, _arm_rows(session, endpoint))

        return self._db.read(work)

    def list(self) -> builtins.list[RolloutState]:
        """Every endpoint's rollout, by endpoint."""

        def work(session: Session) -> builtins.list[RolloutState]:
            rows = session.scalars(select(RolloutRow).order_by(RolloutRow.endpoint))
            return [to_state(row, _arm_rows(session, row.endpoint)) for row in rows]

        return self._db.read(work)

    def history(self, endpoint: str) -> builtins.list[RolloutEvent]:
        """Every transition of ``endpoint``'s rollouts, oldest first."""
        query = (
            select(RolloutEventRow)
            .where(RolloutEventRow.endpoint == endpoint)
            .order_by(RolloutEventRow.id)
        )
        return self._db.read(lambda session: [to_event(row) for row in session.scalars(query)])

    def sync(
        self,
        endpoint: str,
        deltas: Mapping[str, ArmCounters],
        decide: Decide | None = None,
        versions: Mapping[str, int] | None = None,
        digest: str | None = None,
    ) -> RolloutState:
        """Fold a replica's counters in, then let ``decide`` judge the sums; one transaction.

        With ``digest`` (the configuration the replica runs), a rollout another replica has
        meanwhile restarted under another configuration refuses the write with
        :class:`StaleConfigurationError`: counts of the old arms never land in the new ones.

        ``deltas`` (by arm; unknown arms are ignored) add to each arm's totals and step
        counters; ``versions`` records the version an arm now serves (a replica reloaded).
        ``decide`` sees the state with this replica's deltas and every other replica's
        already in, and may return a :class:`Transition` to apply (a promotion's alias move
        included) or raise to refuse, in which case nothing at all is written. It may run
        more than once (a transaction retried after a race), so it only computes. Returns the
        state after.
        """

        def work(session: Session) -> RolloutState:
            row = _locked(session, endpoint)
            _check_digest(row, digest)
            arms = _arm_rows(session, endpoint)
            changed = False
            for arm in arms:
                delta = deltas.get(arm.name)
                if delta is not None and not delta.is_empty():
                    credit(arm, delta)
                    changed = True
                if versions is not None and arm.name in versions:
                    arm.version = versions[arm.name]
                    changed = True
            if changed:
                row.updated_at = utcnow()
            change = None if decide is None else decide(to_state(row, arms))
            if change is not None:
                _apply(session, row, arms, change)
                row.updated_at = utcnow()
            session.flush()
            return to_state(row, arms)

        return self._db.write(work)

    def record_requests(self, endpoint: str, rows: Sequence[RequestRecord]) -> None:
        """Remember which arm answered each request (for the feedback window), in one batch.

        A request id already recorded keeps its first row.
        """
        if not rows:
            return
        params = [
            {
                "endpoint": endpoint,
                "request_id": request_id,
                "arm": arm,
                "labels_json": None if labels is None else orjson.dumps(labels).decode(),
                "at": at,
            }
            for request_id, arm, labels, at in rows
        ]

        def work(session: Session) -> None:
            statement = _insert(session)(RolloutRequestRow).on_conflict_do_nothing()
            session.execute(statement, params)

        self._db.write(work)

    def record_block(
        self, endpoint: str, prefix: str, answered: NumberedAnswers, at: datetime
    ) -> None:
        """Remember which arm answered each of a run of requests numbered ``PREFIX-N`` (see
        :mod:`~modelyard.registry.answer_blocks`), in one row. The numbers must be above
        every number of ``prefix`` recorded before for ``endpoint``."""
        if not len(answered):
            return
        row = block_row(endpoint, prefix, answered, at)

        def work(session: Session) -> None:
            session.add(row)

        self._db.write(work)

    def find_request(
        self, endpoint: str, request_id: str
    ) -> tuple[str, builtins.list[Any] | None, datetime] | None:
        """(arm, predicted labels or ``None``, when) of a recorded request, or ``None``."""

        def work(session: Session) -> tuple[str, builtins.list[Any] | None, datetime] | None:
            row = session.get(RolloutRequestRow, (endpoint, request_id))
            if row is None:
                return find_answered(session, endpoint, request_id)
            labels = None if row.labels_json is None else orjson.loads(row.labels_json)
            return row.arm, labels, row.at

        return self._db.read(work)

    def add_feedback(
        self,
        endpoint: str,
        items: Sequence[FeedbackItem],
        actor: str,
        digest: str | None = None,
    ) -> None:
        """Keep each feedback and credit its reward to the arm that answered; all or nothing.

        A request id that already has feedback (or comes twice in ``items``) refuses the
        whole batch with a :class:`ConflictError` naming it; with ``digest``, a rollout
        restarted under another configuration refuses it too
        (:class:`StaleConfigurationError`: its arms of the same names serve other versions).
        """
        ids = [request_id for request_id, _, _, _ in items]
        seen: set[str] = set()
        for request_id in ids:
            if request_id in seen:
                raise _fed_back(request_id)
            seen.add(request_id)

        def work(session: Session) -> None:
            row = _locked(session, endpoint)
            _check_digest(row, digest)
            earlier = session.scalars(
                select(RolloutFeedbackRow.request_id).where(
                    RolloutFeedbackRow.endpoint == endpoint,
                    RolloutFeedbackRow.request_id.in_(ids),
                )
            ).first()
            if earlier is not None:
                raise _fed_back(earlier)
            now = utcnow()
            deltas: dict[str, ArmCounters] = {}
            for request_id, arm, reward, label in items:
                session.add(
                    RolloutFeedbackRow(
                        endpoint=endpoint,
                        request_id=request_id,
                        arm=arm,
                        reward=reward,
                        label=label,
                        actor=actor,
                        at=now,
                    )
                )
                rewarded = ArmCounters(
                    rewards=1,
                    reward_sum=reward,
                    reward_sumsq=reward * reward,
                    labelled=0 if label is None else 1,
                )
                deltas[arm] = deltas.get(arm, ArmCounters()).plus(rewarded)
            for arm_row in _arm_rows(session, endpoint):
                if arm_row.name in deltas:
                    credit(arm_row, deltas[arm_row.name])
            row.updated_at = now
            session.flush()  # a concurrent feedback for the same id fails here, then conflicts

        self._db.write(work)

    def prune(self, endpoint: str, before: datetime) -> int:
        """Forget requests and feedback of ``endpoint`` older than ``before``; rows deleted."""

        def work(session: Session) -> int:
            deleted = 0
            for table in (RolloutRequestRow, RolloutRequestBlockRow, RolloutFeedbackRow):
                statement = delete(table).where(table.endpoint == endpoint, table.at < before)
                deleted += cast(CursorResult[Any], session.execute(statement)).rowcount
            return deleted

        return self._db.write(work)


class StaleConfigurationError(ConflictError):
    """A replica runs another configuration than the rollout in the database."""


def _check_digest(row: RolloutRow, digest: str | None) -> None:
    """Refuse a replica that runs another configuration than the rollout's."""
    if digest is not None and row.digest != digest:
        raise StaleConfigurationError(
            f"the rollout of endpoint {row.endpoint!r} was restarted under another "
            "configuration; expected this replica's endpoints file to match the others'"
        )


def _fed_back(request_id: str) -> ConflictError:
    return ConflictError(
        f"request {request_id!r} already has feedback; expected one feedback per request"
    )
