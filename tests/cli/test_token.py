"""``modelyard token``: a token is printed once, listed without its secret, and revoked."""

from __future__ import annotations

from collections.abc import Callable

from modelyard.registry import Registry
from modelyard.registry.tokens import TOKEN_LENGTH, token_sha256


def test_create_prints_the_token_alone_on_stdout_once(cli: Callable) -> None:
    result = cli("token", "create", "ci", "--role", "admin")
    assert result.code == 0, result.err
    token = result.out.strip()
    assert result.out == token + "\n"
    assert token.startswith("my_") and len(token) == TOKEN_LENGTH
    assert result.err.strip() == (
        "token 'ci' (role admin) created: store it now, it is not shown again"
    )
    [active] = Registry().tokens.active()
    assert (active.name, active.role, active.sha256) == ("ci", "admin", token_sha256(token))


def test_list_shows_names_roles_and_hints_but_never_the_secret(cli: Callable) -> None:
    admin = cli("token", "create", "ops", "--role", "admin").out.strip()
    predict = cli("token", "create", "checkout-app", "--role", "predict").out.strip()
    result = cli("token", "list")
    assert result.code == 0, result.err
    for text in ("ops", "admin", "checkout-app", "predict", admin[:11], predict[:11]):
        assert text in result.out
    assert admin not in result.out and predict not in result.out
    assert admin[11:20] not in result.out and predict[11:20] not in result.out


def test_list_says_how_to_start_when_there_are_none(cli: Callable) -> None:
    Registry().close()  # the working folder's registry, empty
    result = cli("token", "list")
    assert result.code == 0
    assert result.out.strip() == (
        "no tokens yet; create one with `modelyard token create NAME --role admin`"
    )


def test_revoke_removes_the_token_from_the_list_and_from_servers(cli: Callable) -> None:
    cli("token", "create", "ci", "--role", "admin")
    result = cli("token", "revoke", "ci")
    assert result.code == 0, result.err
    assert result.out.startswith("token 'ci' revoked; servers refuse it from their next")
    assert Registry().tokens.active() == []
    assert "no tokens yet" in cli("token", "list").out
    history = cli("token", "list", "--all")
    assert "ci" in history.out and "revoked" in history.out


def test_an_unknown_role_is_one_error_line_and_exit_2(cli: Callable) -> None:
    result = cli("token", "create", "ci", "--role", "root")
    assert result.code == 2
    assert result.err == "error: unknown role 'root': expected one of admin, predict\n"
    assert result.out == ""


def test_revoking_an_unknown_token_is_one_error_line_and_exit_2(cli: Callable) -> None:
    cli("token", "create", "ops", "--role", "admin")
    result = cli("token", "revoke", "nope")
    assert result.code == 2
    assert result.err == "error: no live token 'nope'; tokens: ops\n"


def test_a_second_live_token_of_the_same_name_is_refused(cli: Callable) -> None:
    first = cli("token", "create", "ci", "--role", "admin")
    second = cli("token", "create", "ci", "--role", "predict")
    assert second.code == 2
    assert second.err == (
        "error: a token named 'ci' exists; revoke it first (modelyard token revoke ci) "
        "or choose another name\n"
    )
    assert first.out.strip() not in second.err
