"""``modelyard alias set|history`` and ``modelyard rollback``."""

from __future__ import annotations

import typer

from modelyard.cli import render
from modelyard.cli.context import console, registry_from
from modelyard.core.errors import ConfigError
from modelyard.core.refs import parse_ref

app = typer.Typer(
    help="Move aliases such as fraud@production, with an audit trail.", no_args_is_help=True
)


def _name_and_alias(target: str) -> tuple[str, str]:
    ref = parse_ref(target)
    if ref.alias is None:
        raise ConfigError(f"expected NAME@ALIAS (e.g. fraud@production), got {target!r}")
    return ref.name, ref.alias


@app.command("set")
def set_alias(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="NAME@ALIAS, e.g. fraud@production"),
    version: int = typer.Argument(..., help="the version number the alias should point to"),
    reason: str = typer.Option(..., "--reason", help="why: kept in the audit trail"),
) -> None:
    """Point an alias at a version; the move is recorded with who, when and why."""
    name, alias = _name_and_alias(target)
    event = registry_from(ctx, create=True).set_alias(name, alias, version, reason=reason)
    before = "nothing" if event.from_version is None else f"version {event.from_version}"
    console.print(f"{name}@{alias}: {before} → version {event.to_version}")


@app.command("history")
def history(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="model name (or NAME@ALIAS for one alias)"),
) -> None:
    """Every move of the model's aliases, oldest first."""
    ref = parse_ref(name)
    events = registry_from(ctx).alias_history(ref.name, ref.alias)
    if not events:
        console.print(f"no alias of {ref.name!r} has ever been set")
        return
    console.print(render.alias_events(events))


def rollback(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="NAME@ALIAS to move back"),
    reason: str = typer.Option("rollback", "--reason", help="why: kept in the audit trail"),
) -> None:
    """Move an alias back to the version it pointed to before its last move."""
    name, alias = _name_and_alias(target)
    event = registry_from(ctx).rollback(name, alias, reason=reason)
    console.print(f"{name}@{alias}: version {event.from_version} → version {event.to_version}")
