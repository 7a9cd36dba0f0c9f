"""API tokens in the registry database: created once, kept as hashes, listed, revoked.

Every test runs on a SQLite file and on a real PostgreSQL server (``registry_url``).
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from modelyard.core.errors import ConfigError, ConflictError, NotFoundError
from modelyard.registry import Registry
from modelyard.registry.tokens import TOKEN_LENGTH, lookup_of, token_sha256


def _stored_rows(registry_url: str) -> list[dict[str, object]]:
    engine = create_engine(registry_url)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(text("SELECT * FROM tokens"))]
    engine.dispose()
    return rows


def test_the_token_table_is_created_with_the_registry(
    registry: Registry, registry_url: str
) -> None:
    engine = create_engine(registry_url)
    columns = {column["name"] for column in inspect(engine).get_columns("tokens")}
    engine.dispose()
    assert {"name", "role", "lookup", "sha256", "created_at", "last_used_at", "revoked_at"} <= (
        columns
    )


def test_a_token_is_prefixed_random_and_only_its_hash_is_stored(
    registry: Registry, registry_url: str
) -> None:
    first, info = registry.tokens.create("ci", "admin", actor="alice")
    second, _ = registry.tokens.create("ci-2", "admin")
    assert first.startswith("my_") and len(first) == TOKEN_LENGTH
    assert first != second
    assert info.name == "ci" and info.role == "admin" and info.created_by == "alice"
    assert info.hint == f"my_{first[3:11]}…"
    rows = _stored_rows(registry_url)
    stored = next(row for row in rows if row["name"] == "ci")
    assert stored["sha256"] == hashlib.sha256(first.encode()).hexdigest()
    assert all(first not in str(value) for row in rows for value in row.values())


def test_active_tokens_hold_what_a_server_checks(registry: Registry) -> None:
    token, _ = registry.tokens.create("scorer", "predict")
    [active] = registry.tokens.active()
    assert active.name == "scorer" and active.role == "predict"
    assert active.lookup == lookup_of(token)
    assert active.sha256 == token_sha256(token)


def test_list_shows_names_roles_and_hints_never_secrets(registry: Registry) -> None:
    admin, _ = registry.tokens.create("ops", "admin")
    predict, _ = registry.tokens.create("app", "predict")
    listed = registry.tokens.list_tokens()
    assert [(t.name, t.role) for t in listed] == [("app", "predict"), ("ops", "admin")]
    assert admin not in repr(listed) and predict not in repr(listed)
    assert all(t.last_used_at is None and t.revoked_at is None for t in listed)


def test_revoke_hides_the_token_from_servers_and_frees_its_name(registry: Registry) -> None:
    old, _ = registry.tokens.create("ci", "admin")
    revoked = registry.tokens.revoke("ci", actor="bob")
    assert revoked.revoked_by == "bob" and revoked.revoked_at is not None
    assert registry.tokens.active() == []
    assert registry.tokens.list_tokens() == []
    new, _ = registry.tokens.create("ci", "predict")
    assert new != old
    history = registry.tokens.list_tokens(include_revoked=True)
    assert [(t.name, t.role, t.revoked_at is None) for t in history] == [
        ("ci", "admin", False),
        ("ci", "predict", True),
    ]
    assert [t.name for t in registry.tokens.active()] == ["ci"]


def test_a_live_name_cannot_be_taken_twice(registry: Registry) -> None:
    registry.tokens.create("ci", "admin")
    expected = (
        r"^a token named 'ci' exists; revoke it first \(modelyard token revoke ci\) "
        r"or choose another name$"
    )
    with pytest.raises(ConflictError, match=expected):
        registry.tokens.create("ci", "predict")


def test_racing_creations_of_one_name_leave_one_live_token(
    registry: Registry, registry_url: str, artifacts: str
) -> None:
    racers = 4
    start = threading.Barrier(racers)
    created: list[str] = []
    refused: list[str] = []

    def create() -> None:
        store = Registry(registry_url, artifacts)
        start.wait()
        try:
            created.append(store.tokens.create("ci", "admin")[0])
        except ConflictError as error:
            refused.append(str(error))
        finally:
            store.close()

    threads = [threading.Thread(target=create) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(created) == 1 and len(refused) == racers - 1
    [active] = registry.tokens.active()
    assert active.sha256 == token_sha256(created[0])


def test_an_unknown_role_is_refused_naming_the_roles(registry: Registry) -> None:
    with pytest.raises(ConfigError, match=r"^unknown role 'root': expected one of admin, predict$"):
        registry.tokens.create("ci", "root")
    assert registry.tokens.list_tokens() == []


def test_a_bad_name_is_refused(registry: Registry) -> None:
    with pytest.raises(ConfigError, match=r"^bad token name 'a b': expected letters"):
        registry.tokens.create("a b", "admin")


def test_revoking_an_unknown_name_lists_the_live_tokens(registry: Registry) -> None:
    registry.tokens.create("ops", "admin")
    with pytest.raises(NotFoundError, match=r"^no live token 'nope'; tokens: ops$"):
        registry.tokens.revoke("nope")


def test_record_use_only_moves_last_used_forward(registry: Registry) -> None:
    token, _ = registry.tokens.create("app", "predict")
    lookup = lookup_of(token)
    assert lookup is not None
    later = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    registry.tokens.record_use({lookup: later})
    registry.tokens.record_use({lookup: later - timedelta(hours=1)})  # an older worker's report
    [listed] = registry.tokens.list_tokens()
    assert listed.last_used_at == later


def test_lookup_of_refuses_what_cannot_be_a_token() -> None:
    assert lookup_of("") is None
    assert lookup_of("Bearer") is None
    assert lookup_of("xx_" + "a" * 43) is None
    assert lookup_of("my_" + "a" * 42) is None
    assert lookup_of("my_" + "a" * 43) == "a" * 8
