"""Aliases: moves and their audit trail, rollback as undo, the gates hook."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelyard.core.errors import ConfigError, ConflictError, GateFailedError, NotFoundError
from modelyard.registry import ModelVersion, Registry

Build = Callable[..., Path]


@pytest.fixture
def fraud(registry: Registry, package: Build) -> Registry:
    """A registry holding fraud:1 … fraud:4."""
    for _ in range(4):
        registry.register(package("fraud"))
    return registry


def moves(registry: Registry, alias: str = "production") -> list[tuple[int | None, int | None]]:
    return [(e.from_version, e.to_version) for e in registry.alias_history("fraud", alias)]


def test_set_alias_points_it_and_records_the_move(fraud: Registry) -> None:
    before = datetime.now(UTC)
    event = fraud.set_alias("fraud", "production", 2, reason="first release", actor="alice")
    assert fraud.aliases("fraud") == {"production": 2}
    assert (event.name, event.alias, event.from_version, event.to_version) == (
        "fraud",
        "production",
        None,
        2,
    )
    assert (event.actor, event.reason, event.forced) == ("alice", "first release", False)
    assert event.at.tzinfo is not None and event.at >= before.replace(microsecond=0)
    assert fraud.alias_history("fraud") == [event]


def test_the_actor_defaults_to_the_login_name(fraud: Registry) -> None:
    assert fraud.set_alias("fraud", "production", 1, reason="r").actor == getpass.getuser()


def test_history_keeps_every_move_oldest_first(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 1, reason="a")
    fraud.set_alias("fraud", "staging", 2, reason="b")
    fraud.set_alias("fraud", "production", 3, reason="c")
    assert moves(fraud) == [(None, 1), (1, 3)]
    everything = fraud.alias_history("fraud")
    assert [e.alias for e in everything] == ["production", "staging", "production"]
    assert [e.reason for e in everything] == ["a", "b", "c"]


def test_history_of_an_unknown_model(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match=r"^no model 'fraud'; models: \(none\)$"):
        registry.alias_history("fraud")


def test_alias_to_an_unknown_version_is_refused(fraud: Registry) -> None:
    with pytest.raises(NotFoundError) as error:
        fraud.set_alias("fraud", "production", 9, reason="oops")
    assert str(error.value) == "model 'fraud' has no version 9; versions: 1, 2, 3, 4"
    assert fraud.alias_history("fraud") == []


def test_a_bad_alias_name_is_refused(fraud: Registry) -> None:
    with pytest.raises(ConfigError, match=r"^bad alias name 'prod uction': expected letters"):
        fraud.set_alias("fraud", "prod uction", 1, reason="r")


def test_a_move_without_a_reason_is_refused(fraud: Registry) -> None:
    with pytest.raises(ConfigError) as error:
        fraud.set_alias("fraud", "production", 1, reason="  ")
    assert str(error.value) == "an alias move needs a reason: expected a non-empty reason"


def test_delete_alias_is_recorded(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 2, reason="release")
    event = fraud.delete_alias("fraud", "production", reason="retired", actor="bob")
    assert (event.from_version, event.to_version, event.actor) == (2, None, "bob")
    assert fraud.aliases("fraud") == {}


def test_deleting_an_unknown_alias_lists_the_aliases(fraud: Registry) -> None:
    fraud.set_alias("fraud", "staging", 2, reason="try")
    with pytest.raises(NotFoundError) as error:
        fraud.delete_alias("fraud", "production", reason="r")
    assert str(error.value) == "no alias 'production' on 'fraud'; aliases: staging"


def test_rollback_returns_to_the_previous_target(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 1, reason="a")
    fraud.set_alias("fraud", "production", 2, reason="b")
    event = fraud.rollback("fraud", "production", actor="carol")
    assert (event.from_version, event.to_version) == (2, 1)
    assert (event.reason, event.actor) == ("rollback", "carol")
    assert fraud.get("fraud@production").version == 1


def test_rolling_back_again_walks_further_back(fraud: Registry) -> None:
    for version in (1, 2, 3, 4):
        fraud.set_alias("fraud", "production", version, reason=f"release {version}")
    targets = [fraud.rollback("fraud", "production").to_version for _ in range(3)]
    assert targets == [3, 2, 1]


def test_rollback_undoes_the_move_made_after_a_rollback(fraud: Registry) -> None:
    for version in (1, 2, 3):
        fraud.set_alias("fraud", "production", version, reason="release")
    fraud.rollback("fraud", "production")  # 3 -> 2
    fraud.set_alias("fraud", "production", 4, reason="hotfix")  # 2 -> 4
    assert fraud.rollback("fraud", "production").to_version == 2  # undoes the hotfix
    assert fraud.rollback("fraud", "production").to_version == 1  # then 1 -> 2 is undone
    assert moves(fraud)[-2:] == [(4, 2), (2, 1)]


def test_rollback_records_which_move_it_undid(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 1, reason="a")
    second = fraud.set_alias("fraud", "production", 2, reason="b")
    assert fraud.rollback("fraud", "production").rollback_of == second.id


def test_rollback_skips_moves_that_changed_nothing(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 1, reason="a")
    fraud.set_alias("fraud", "production", 2, reason="b")
    fraud.set_alias("fraud", "production", 2, reason="again")
    assert fraud.rollback("fraud", "production").to_version == 1


def test_rollback_restores_a_deleted_alias(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 3, reason="release")
    fraud.delete_alias("fraud", "production", reason="incident")
    event = fraud.rollback("fraud", "production")
    assert (event.from_version, event.to_version) == (None, 3)
    assert fraud.aliases("fraud") == {"production": 3}


def test_rollback_with_no_earlier_target(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 2, reason="first")
    with pytest.raises(ConflictError) as error:
        fraud.rollback("fraud", "production")
    assert str(error.value) == (
        "cannot roll back fraud@production: it pointed nowhere before version 2; "
        "expected an earlier target to return to"
    )
    assert fraud.aliases("fraud") == {"production": 2}


def test_rollback_past_the_first_move(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 1, reason="a")
    fraud.set_alias("fraud", "production", 2, reason="b")
    fraud.rollback("fraud", "production")
    with pytest.raises(ConflictError, match="it pointed nowhere before version 1"):
        fraud.rollback("fraud", "production")


def test_rollback_of_an_alias_never_set(fraud: Registry) -> None:
    with pytest.raises(NotFoundError) as error:
        fraud.rollback("fraud", "production")
    assert str(error.value) == (
        "no alias 'production' on 'fraud' has ever been set; expected one to roll back"
    )


def test_rollback_to_a_deleted_version_is_refused(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 1, reason="a")
    fraud.set_alias("fraud", "production", 2, reason="b")
    fraud.delete_version("fraud:1")
    with pytest.raises(NotFoundError, match=r"^model 'fraud' has no version 1 \(deleted by "):
        fraud.rollback("fraud", "production")
    assert fraud.aliases("fraud") == {"production": 2}


def test_a_failing_check_refuses_the_move(fraud: Registry) -> None:
    fraud.set_alias("fraud", "production", 1, reason="a")
    seen: list[int] = []

    def gate(version: ModelVersion) -> None:
        seen.append(version.version)
        raise GateFailedError(f"fraud:{version.version} fails accuracy >= 0.9: got 0.5")

    with pytest.raises(GateFailedError, match="fails accuracy"):
        fraud.set_alias("fraud", "production", 2, reason="b", check=gate)
    assert seen == [2]
    assert fraud.aliases("fraud") == {"production": 1}
    assert moves(fraud) == [(None, 1)]


def test_a_passing_check_lets_the_move_happen(fraud: Registry) -> None:
    event = fraud.set_alias("fraud", "production", 2, reason="b", check=lambda version: None)
    assert (event.to_version, event.forced) == (2, False)


def test_a_forced_move_skips_the_check_and_is_recorded(fraud: Registry) -> None:
    def gate(version: ModelVersion) -> None:
        raise GateFailedError("never passes")

    event = fraud.set_alias("fraud", "production", 2, reason="incident", check=gate, forced=True)
    assert event.forced is True
    assert fraud.alias_history("fraud")[-1].forced is True
