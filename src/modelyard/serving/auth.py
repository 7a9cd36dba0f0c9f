"""Bearer tokens on the server: who may call the admin routes and guarded predict routes.

Statuses follow RFC 6750: a request with no bearer token, or with one that is unknown or
revoked, is answered 401 with a ``WWW-Authenticate: Bearer`` challenge (``error="invalid_token"``
for the latter); a valid token whose role may not call the route is answered 403
(``error="insufficient_scope"``). Every message says how to get a token, and none repeats the
token sent.

Tokens are checked against a copy held in the server process (:class:`TokenCache`), never
against the database per request: the copy is refreshed on every poll of the reload watcher
and on ``POST /admin/reload``, so a new or revoked token takes effect within one poll
interval. A predict route that needs no token pays one attribute test for all this.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from modelyard.pipeline.spec import Auth
from modelyard.registry.database import UNREACHABLE, first_line
from modelyard.registry.tokens import ActiveToken, TokenStore, lookup_of, token_sha256
from modelyard.serving.asgi import RequestHeaders
from modelyard.serving.errors import HttpError

log = logging.getLogger("modelyard.serving.auth")

SCHEME_NAME = "bearer"
_REALM = 'Bearer realm="modelyard"'

BEARER = HTTPBearer(
    scheme_name=SCHEME_NAME,
    description="A token from `modelyard token create NAME --role admin|predict`, sent as "
    "`Authorization: Bearer <token>`.",
    auto_error=False,
)
"""The OpenAPI security scheme (and FastAPI's reader of the header on the admin routes)."""

_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": 'the RFC 6750 challenge: Bearer realm="modelyard", with '
        'error="invalid_token" (a bad token) or error="insufficient_scope" (a wrong role)',
        "schema": {"type": "string"},
    }
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    "401": {
        "description": "no bearer token, or an unknown or revoked one",
        "headers": _CHALLENGE,
        "content": _ERROR_BODY,
    },
    "403": {
        "description": "the token's role may not call this route",
        "headers": _CHALLENGE,
        "content": _ERROR_BODY,
    },
}
"""The answers a guarded operation documents beside its own."""


class AuthError(HttpError):
    """A refused request: its status, message and ``WWW-Authenticate`` challenge."""

    def __init__(self, status: int, message: str, challenge: str) -> None:
        super().__init__(status, message, headers={"www-authenticate": challenge})


class TokenCache:
    """The registry's live tokens, held in this process and refreshed on each poll.

    Also notes when each token was last used, and writes that back on the next refresh (one
    write per poll, not per request).
    """

    def __init__(self, store: TokenStore) -> None:
        self._store = store
        self._by_lookup: dict[str, ActiveToken] = {}
        self._used: dict[str, float] = {}

    def load(self) -> None:
        """Read the live tokens now (blocking: at start, before serving)."""
        self._by_lookup = self._read({})

    async def refresh(self) -> None:
        """Read the live tokens again (in a thread); on failure keep the ones loaded."""
        used, self._used = self._used, {}
        try:
            self._by_lookup = await asyncio.to_thread(self._read, used)
        except Exception as error:
            message = "token refresh failed; checking requests against the tokens loaded"
            if isinstance(error, UNREACHABLE):  # an outage: one line per poll, no traceback
                log.warning(message, extra={"error": first_line(error)})
            else:
                log.exception(message)
            for lookup, at in used.items():
                self._used[lookup] = max(at, self._used.get(lookup, at))

    def _read(self, used: dict[str, float]) -> dict[str, ActiveToken]:
        self._store.record_use({k: datetime.fromtimestamp(t, UTC) for k, t in used.items()})
        return {token.lookup: token for token in self._store.active()}

    def find(self, token: str) -> ActiveToken | None:
        """The live token ``token`` is, if any.

        The row is found by the token's lookup characters (stored in clear, so finding it
        reveals nothing secret); the sha256 is then compared in constant time.
        """
        lookup = lookup_of(token)
        found = self._by_lookup.get(lookup) if lookup is not None else None
        if found is None or not hmac.compare_digest(found.sha256, token_sha256(token)):
            return None
        self._used[found.lookup] = time.time()
        return found


def bearer_token(authorization: bytes | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, read as FastAPI's
    :class:`~fastapi.security.HTTPBearer` reads it; ``None`` without one."""
    if authorization is None:
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


class Guard:
    """The check of one kind of route: which roles may call it, and what to say otherwise."""

    def __init__(self, cache: TokenCache, roles: tuple[str, ...]) -> None:
        self._cache = cache
        self._roles = frozenset(roles)
        self._needed = " or ".join(roles)
        self._how = f"create one with `modelyard token create NAME --role {roles[0]}`"
        self._insufficient = f'{_REALM}, error="insufficient_scope", scope="{" ".join(roles)}"'

    def check(self, authorization: bytes | None) -> AuthError | None:
        """The refusal for a raw ``Authorization`` header value, or ``None`` to let it in."""
        return self.check_token(bearer_token(authorization))

    def check_token(self, token: str | None) -> AuthError | None:
        """The refusal for a presented token (``None``: none sent), or ``None`` to let it in."""
        if token is None:
            return AuthError(
                401,
                f"this route needs a bearer token of role {self._needed}: send "
                f"'Authorization: Bearer <token>'; {self._how}",
                _REALM,
            )
        found = self._cache.find(token)
        if found is None:
            return AuthError(
                401,
                f"the bearer token is unknown or revoked; {self._how}",
                f'{_REALM}, error="invalid_token"',
            )
        if found.role not in self._roles:
            return AuthError(
                403,
                f"this route needs a token of role {self._needed}, not {found.role}; {self._how}",
                self._insufficient,
            )
        return None


class Guards:
    """The guards of one server, over one token cache: admin routes, and guarded predict."""

    def __init__(self, cache: TokenCache) -> None:
        self.admin = Guard(cache, ("admin",))
        self.predict = Guard(cache, ("predict", "admin"))

    def for_predict(self, auth: Auth | None) -> Guard | None:
        """The guard of an endpoint's predict routes; ``None`` when they are open."""
        return self.predict if auth is not None and auth.predict == "required" else None


def requirement(guard: Guard) -> Callable[..., Awaitable[None]]:
    """A FastAPI dependency refusing what ``guard`` refuses (and declaring the scheme)."""

    async def require(
        credentials: HTTPAuthorizationCredentials | None = Security(BEARER),
    ) -> None:
        refused = guard.check_token(None if credentials is None else credentials.credentials)
        if refused is not None:
            raise refused

    return require


async def refusal_response(request: Request, error: Exception) -> Response:
    """The FastAPI exception handler of :class:`AuthError`: the same answer as the raw path."""
    assert isinstance(error, AuthError)
    request_id = RequestHeaders(request.scope).request_id
    assert request_id is not None
    headers = {"x-request-id": request_id}
    headers.update((name.decode(), value.decode()) for name, value in error.headers)
    return Response(error.body(request_id), error.status, headers, media_type="application/json")


def secure(operation: dict[str, Any]) -> dict[str, Any]:
    """``operation`` (an OpenAPI operation) marked as needing a bearer token."""
    operation["security"] = [{SCHEME_NAME: []}]
    operation["responses"].update(RESPONSES)
    return operation
