"""API tokens with roles, stored as hashes in the registry database.

A token is ``my_`` followed by 43 URL-safe characters from :func:`secrets.token_urlsafe`
(256 random bits): the prefix lets people and secret scanners recognise one. The registry
keeps its sha256, never the token, so a copy of the database grants nothing. The first
characters after the prefix are also kept in clear (``lookup``): the server finds the one
row a presented token may match by them and then compares the sha256 in constant time, so
neither the lookup nor the comparison depends on the secret part.

Roles: ``admin`` may call every route (admin routes, and predict routes that require a
token); ``predict`` only predict routes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from modelyard.core.errors import ConfigError, ConflictError, NotFoundError
from modelyard.core.refs import check_name
from modelyard.registry.database import Database
from modelyard.registry.schema import TokenRow, utcnow

ROLES = ("admin", "predict")
PREFIX = "my_"
_SECRET_BYTES = 32
_LOOKUP_CHARS = 8
TOKEN_LENGTH = len(PREFIX) + 43
"""Every token has this many characters (``token_urlsafe(32)`` gives 43)."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: everything but the secret."""

    name: str
    role: str
    hint: str
    """The token's recognisable start, e.g. ``my_Ab3dE9xQ…``."""
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


@dataclass(frozen=True)
class ActiveToken:
    """What a server keeps of a live token to check requests against it."""

    lookup: str
    sha256: bytes
    name: str
    role: str


def lookup_of(token: str) -> str | None:
    """The lookup key of something presented as a token, or ``None`` if it cannot be one."""
    if len(token) != TOKEN_LENGTH or not token.startswith(PREFIX):
        return None
    return _lookup(token)


def _lookup(token: str) -> str:
    return token[len(PREFIX) : len(PREFIX) + _LOOKUP_CHARS]


def token_sha256(token: str) -> bytes:
    """The digest stored for ``token``."""
    return hashlib.sha256(token.encode()).digest()


def check_role(role: str) -> str:
    """``role`` if it is a known role, else a :class:`ConfigError` naming the known ones."""
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        role=row.role,
        hint=f"{PREFIX}{row.lookup}…",
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


def _live(session: Session, name: str) -> TokenRow | None:
    query = select(TokenRow).where(TokenRow.name == name, TokenRow.revoked_at.is_(None))
    return session.scalars(query).first()


def _live_names(session: Session) -> list[str]:
    query = select(TokenRow.name).where(TokenRow.revoked_at.is_(None)).order_by(TokenRow.name)
    return list(session.scalars(query))


class TokenStore:
    """Create, list and revoke tokens; hand a server the live ones.

    ``default_actor`` names who acts when a call does not say (recorded as creator or revoker).
    """

    def __init__(self, db: Database, default_actor: Callable[[], str]) -> None:
        self._db = db
        self._default_actor = default_actor

    def create(self, name: str, role: str, *, actor: str | None = None) -> tuple[str, TokenInfo]:
        """A new token named ``name``: the token itself (shown once, never stored) and its info.

        A name is refused while a live token has it.
        """
        check_name(name, "token name")
        check_role(role)
        created_by = actor or self._default_actor()

        def work(session: Session) -> tuple[str, TokenInfo]:
            if _live(session, name) is not None:
                raise ConflictError(
                    f"a token named {name!r} exists; revoke it first "
                    f"(modelyard token revoke {name}) or choose another name"
                )
            # Made inside the transaction: a retried write (two creations racing, or an
            # astronomically unlikely lookup clash) draws a fresh token.
            token = PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
            row = TokenRow(
                name=name,
                role=role,
                lookup=_lookup(token),
                sha256=token_sha256(token).hex(),
                created_at=utcnow(),
                created_by=created_by,
            )
            session.add(row)
            session.flush()
            return token, _info(row)

        return self._db.write(work)

    def list_tokens(self, *, include_revoked: bool = False) -> list[TokenInfo]:
        """The tokens not revoked (or all of them), by name then creation."""
        query = select(TokenRow).order_by(TokenRow.name, TokenRow.id)
        if not include_revoked:
            query = query.where(TokenRow.revoked_at.is_(None))
        return self._db.read(lambda session: [_info(row) for row in session.scalars(query)])

    def revoke(self, name: str, *, actor: str | None = None) -> TokenInfo:
        """Revoke the live token ``name``; servers refuse it from their next registry poll."""
        revoked_by = actor or self._default_actor()

        def work(session: Session) -> TokenInfo:
            row = _live(session, name)
            if row is None:
                live = _live_names(session)
                raise NotFoundError(
                    f"no live token {name!r}; tokens: {', '.join(live) if live else '(none)'}"
                )
            row.revoked_at = utcnow()
            row.revoked_by = revoked_by
            return _info(row)

        return self._db.write(work)

    def active(self) -> list[ActiveToken]:
        """Every live token, as a server checks requests against them."""
        query = select(TokenRow).where(TokenRow.revoked_at.is_(None))
        return self._db.read(
            lambda session: [
                ActiveToken(row.lookup, bytes.fromhex(row.sha256), row.name, row.role)
                for row in session.scalars(query)
            ]
        )

    def record_use(self, used: Mapping[str, datetime]) -> None:
        """Move each token's ``last_used_at`` (by lookup) forward to the time given."""
        if not used:
            return
        items = list(used.items())

        def work(session: Session) -> None:
            for lookup, at in items:
                session.execute(
                    update(TokenRow)
                    .where(
                        TokenRow.lookup == lookup,
                        or_(TokenRow.last_used_at.is_(None), TokenRow.last_used_at < at),
                    )
                    .values(last_used_at=at)
                )

        self._db.write(work)
