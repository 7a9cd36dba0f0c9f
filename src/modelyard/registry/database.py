"""The metadata store's connection: engines, transactions that serialise writers, the schema.

Two databases, one behaviour. On SQLite every write transaction starts with
``BEGIN IMMEDIATE`` (taking the database's write lock up front, waiting up to the busy timeout)
so two processes never both read "last version = 4" and both write 5. On PostgreSQL writers
lock the model's row with ``SELECT ... FOR UPDATE`` (:func:`lock_model`). What is left — two
processes creating the same new model row at once — surfaces as a unique-constraint
violation, and :meth:`Database.write` simply runs the transaction again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url, select, text
from sqlalchemy.exc import IntegrityError as SQLIntegrityError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from modelyard.core.errors import ConflictError
from modelyard.core.extras import missing_extra
from modelyard.registry.schema import SCHEMA_VERSION, Base, ModelRow, SchemaInfo

T = TypeVar("T")

UNREACHABLE = (OperationalError, InterfaceError)
"""What a registry database that cannot be reached (down, dropped connection) raises."""


def first_line(error: Exception) -> str:
    """A database error in one line: the driver's message, without SQLAlchemy's link and the
    statement. An outage is logged once per poll for as long as it lasts; a traceback each
    time would bury everything else."""
    return str(error).strip().splitlines()[0]


BUSY_TIMEOUT_MS = 60_000
"""How long a SQLite writer waits for the lock before giving up (many processes may queue)."""

WRITE_ATTEMPTS = 5
"""Races a retry resolves (a concurrently created model row) resolve on the second try."""

_SCHEMA_LOCK_KEY = 0x6D6F64656C  # PostgreSQL advisory lock serialising first-time table creation


def _prepare_sqlite(engine: Engine) -> None:
    """Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is always DEFERRED)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_registry_engine(url: str) -> Engine:
    """An engine for ``url``; for a SQLite file, its folder is created first."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        _prepare_sqlite(engine)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ImportError as error:  # the database's driver comes with an extra
        raise missing_extra(error, f"a {parsed.get_backend_name()} registry") from None


class Database:
    """Read and write transactions over one engine, with the schema created on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_registry_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._ensure_schema()

    def read(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a read transaction."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction: all of it is committed, or none.

        ``work`` may run more than once (after a unique-constraint race), so it must do
        nothing outside the session.
        """
        for _ in range(WRITE_ATTEMPTS - 1):
            try:
                return self._transaction(work)
            except SQLIntegrityError:
                continue
        return self._transaction(work)

    def _transaction(self, work: Callable[[Session], T]) -> T:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            return work(session)

    def dispose(self) -> None:
        """Close pooled connections (e.g. before a process forks)."""
        self.engine.dispose()

    def _ensure_schema(self) -> None:
        """Create missing tables and record (or check) the schema version, once per database."""

        def work(session: Session) -> None:
            if self.engine.dialect.name == "postgresql":
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY}
                )
            Base.metadata.create_all(session.connection())
            info = session.get(SchemaInfo, 1)
            if info is None:
                session.add(SchemaInfo(id=1, version=SCHEMA_VERSION))
            elif info.version != SCHEMA_VERSION:
                raise ConflictError(
                    f"registry database {self.engine.url!r} has schema version {info.version}; "
                    f"this modelyard reads version {SCHEMA_VERSION}"
                )

        self.write(work)


def lock_model(session: Session, name: str) -> ModelRow | None:
    """The model's row, locked until the transaction ends (a no-op lock on SQLite,
    where ``BEGIN IMMEDIATE`` already holds the whole database)."""
    return session.scalars(select(ModelRow).where(ModelRow.name == name).with_for_update()).first()
