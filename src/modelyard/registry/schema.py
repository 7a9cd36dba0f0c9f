"""The registry's tables, as typed SQLAlchemy 2 mappings.

Versions are immutable rows; everything that may change about a version (tags, the aliases
pointing at it) lives in its own table, so updating it never rewrites the version row. The
``models`` row exists to be locked: every write to a model name locks it first, which is what
serialises version numbering and alias moves across processes on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA_VERSION = 1
"""Bumped on any incompatible change to the tables below (new tables are created on open)."""

_NAME = 200
_DIGEST = 64
_STATE = 32


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC.

    SQLite stores no zone, so without this the same column would read naive on SQLite and
    aware on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("registry timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind the tables accept)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every registry table."""


class SchemaInfo(Base):
    """One row recording which :data:`SCHEMA_VERSION` created the tables."""

    __tablename__ = "schema_info"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class ModelRow(Base):
    """A model name: the lock target for writes and the counter of version numbers.

    ``last_version`` only grows, so a deleted version's number is never handed out again and
    ``name:3`` can never come to mean a different package.
    """

    __tablename__ = "models"

    name: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    last_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VersionRow(Base):
    """One registered package under a name and number.

    Nothing about the package is ever updated; deleting a version only sets ``deleted_at``
    and ``deleted_by``, so the audit trail keeps who removed it and its number stays taken.
    """

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_versions_name_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(_NAME), ForeignKey("models.name"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(_DIGEST))
    manifest_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(_NAME))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(_NAME))


class TagRow(Base):
    """A mutable key/value label on one version."""

    __tablename__ = "version_tags"
    __table_args__ = (
        ForeignKeyConstraint(["name", "version"], ["versions.name", "versions.version"]),
    )

    name: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AliasRow(Base):
    """Where ``name@alias`` points now."""

    __tablename__ = "aliases"
    __table_args__ = (
        ForeignKeyConstraint(["name", "version"], ["versions.name", "versions.version"]),
    )

    name: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    alias: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class AliasEventRow(Base):
    """One alias move, kept forever: the audit log and the memory that rollback walks.

    ``to_version`` is ``None`` when the alias was deleted; ``rollback_of`` is the id of the
    move a rollback undid.
    """

    __tablename__ = "alias_events"
    __table_args__ = (Index("ix_alias_events_name_alias", "name", "alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(_NAME))
    alias: Mapped[str] = mapped_column(String(_NAME))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(_NAME))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    rollback_of: Mapped[int | None] = mapped_column(Integer, ForeignKey("alias_events.id"))


class EvaluationRow(Base):
    """An evaluation result of one version on one dataset; later rows supersede earlier."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_key", "name", "version", "dataset_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(_NAME))
    version: Mapped[int] = mapped_column(Integer)
    dataset_sha256: Mapped[str] = mapped_column(String(_DIGEST))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result_json: Mapped[str] = mapped_column(Text)


class TokenRow(Base):
    """An API token of the server: who holds it, its role, and the sha256 of the secret.

    The secret itself is never stored. ``lookup`` is the token's first characters after its
    prefix, kept in clear so the server finds the row without trying every hash (it is
    listed, so a user can tell tokens apart; the rest of the token stays secret). Revoking
    sets ``revoked_at`` and keeps the row, so the list can say who had access and until when;
    a name is unique among the tokens not revoked, so it can be reused after a revoke.
    """

    __tablename__ = "tokens"
    __table_args__ = (
        Index(
            "uq_tokens_live_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(_NAME))
    role: Mapped[str] = mapped_column(String(_NAME))
    lookup: Mapped[str] = mapped_column(String(_NAME), unique=True)
    sha256: Mapped[str] = mapped_column(String(_DIGEST))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(_NAME))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(_NAME))


class RolloutRow(Base):
    """An endpoint's rollout: which configuration (``digest``), where it stands, and
    ``revision``, which grows at every recorded transition.

    The row is also the lock that serialises every write to the rollout (counters folded in
    by several replicas, feedback, transitions): each of them locks it first.
    """

    __tablename__ = "rollouts"

    endpoint: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(_STATE))
    digest: Mapped[str] = mapped_column(String(_DIGEST))
    primary: Mapped[str] = mapped_column(String(_NAME))
    state: Mapped[str] = mapped_column(String(_STATE))
    step: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer)


class RolloutArmRow(Base):
    """One arm of a rollout, with its counters as JSON: the rollout's totals and the current
    step's (``latency`` is a list of bucket counts). Counters only add up."""

    __tablename__ = "rollout_arms"

    endpoint: Mapped[str] = mapped_column(
        String(_NAME), ForeignKey("rollouts.endpoint"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(_NAME))
    version: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(_STATE))
    weight: Mapped[float] = mapped_column(Float)
    total_json: Mapped[str] = mapped_column(Text)
    step_json: Mapped[str] = mapped_column(Text)


class RolloutEventRow(Base):
    """One transition of a rollout, kept forever (also across configurations)."""

    __tablename__ = "rollout_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(_NAME), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(_NAME))
    action: Mapped[str] = mapped_column(String(_STATE))
    from_state: Mapped[str | None] = mapped_column(String(_STATE))
    to_state: Mapped[str] = mapped_column(String(_STATE))
    step: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    figures_json: Mapped[str] = mapped_column(Text)


class RolloutRequestRow(Base):
    """Which arm answered a request (and the labels it predicted), kept for the feedback
    window so feedback credits that arm only."""

    __tablename__ = "rollout_requests"
    __table_args__ = (Index("ix_rollout_requests_endpoint_at", "endpoint", "at"),)

    endpoint: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    arm: Mapped[str] = mapped_column(String(_NAME))
    labels_json: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RolloutRequestBlockRow(Base):
    """Which arm answered each of a run of server-numbered requests: one row per tick.

    The ids a server makes are ``PREFIX-N``, ``N`` counting up in each process. One tick's
    requests of one endpoint are one row: ``arms`` holds a byte per number from ``first`` to
    ``last`` (0: not an answer of this endpoint, else 1 + the arm's index in ``names_json``),
    ``labels`` a byte per number (0: no label, else 1 + the index in ``labels_json``). A
    request then costs the database two bytes instead of a row; ids a client chose, and
    requests of several instances, go to :class:`RolloutRequestRow`.
    """

    __tablename__ = "rollout_request_blocks"
    __table_args__ = (
        Index("ix_rollout_request_blocks_find", "endpoint", "prefix", "first"),
        Index("ix_rollout_request_blocks_at", "endpoint", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(_NAME))
    prefix: Mapped[str] = mapped_column(String(_NAME))
    first: Mapped[int] = mapped_column(BigInteger)
    last: Mapped[int] = mapped_column(BigInteger)
    names_json: Mapped[str] = mapped_column(Text)
    arms: Mapped[bytes] = mapped_column(LargeBinary)
    labels_json: Mapped[str] = mapped_column(Text)
    labels: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RolloutFeedbackRow(Base):
    """The one feedback a request may get: its reward (and label), and who sent it."""

    __tablename__ = "rollout_feedback"

    endpoint: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    arm: Mapped[str] = mapped_column(String(_NAME))
    reward: Mapped[float] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(_NAME))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PredictionLabelRow(Base):
    """The true label of one logged prediction (one instance of one request): the newest
    one sent, which replaces an earlier one (a correction), and who sent it when."""

    __tablename__ = "prediction_labels"
    __table_args__ = (Index("ix_prediction_labels_endpoint_at", "endpoint", "labelled_at"),)

    endpoint: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    instance: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    labelled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(_NAME))


PREDICTION_LOG = Table(
    "prediction_log",
    Base.metadata,
    Column("time", UTCDateTime, nullable=False),
    Column("request_id", String(_NAME), nullable=False),
    Column("instance", Integer, nullable=False),
    Column("endpoint", String(_NAME), nullable=False),
    Column("variant", String(_NAME)),
    Column("model", String(_NAME)),
    Column("version", Integer),
    Column("status", Integer),
    Column("latency_ms", Float),
    Column("error", Text),
    Index("ix_prediction_log_endpoint_time", "endpoint", "time"),
    Index("ix_prediction_log_endpoint_request", "endpoint", "request_id"),
)
"""The prediction log: one row per request instance, the fixed columns declared here and one
typed column per input or output, added by :mod:`modelyard.registry.prediction_log` the first
time any endpoint logs it. No primary key: rows are only appended, read by range and pruned."""


class LogColumnRow(Base):
    """Which SQL column of ``prediction_log`` holds a log column of a kind.

    Log column names (``input.mean radius``) may hold spaces, quotes and any length; the SQL
    column's name is derived from the name and the kind, so a feature logged as a number by
    one endpoint and as text by another gets two columns.
    """

    __tablename__ = "prediction_log_columns"
    __table_args__ = (UniqueConstraint("name", "kind", name="uq_prediction_log_columns_name"),)

    column: Mapped[str] = mapped_column(String(_STATE * 2), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(_STATE))


class LogEndpointColumnRow(Base):
    """That an endpoint logged a column: what reading it returns, in first-logged order."""

    __tablename__ = "prediction_log_endpoint_columns"
    __table_args__ = (
        UniqueConstraint("endpoint", "column", name="uq_prediction_log_endpoint_columns"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(_NAME))
    column: Mapped[str] = mapped_column(String(_STATE * 2))
