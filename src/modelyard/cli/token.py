"""``modelyard token create|list|revoke``: the server's API tokens.

``create`` prints the token alone on stdout (so ``TOKEN=$(modelyard token create ...)`` works)
and the reminder that it is shown only once on stderr; nothing can print it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from modelyard.cli.context import console, err_console, registry_from

if TYPE_CHECKING:  # the registry (SQLAlchemy) loads when a command runs, not for --help
    from modelyard.registry.tokens import TokenInfo

app = typer.Typer(
    help="API tokens for the server: admin routes always need one, predict routes when the "
    "endpoints file says auth: {predict: required}.",
    no_args_is_help=True,
)


def _when(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="who or what holds the token, e.g. ci or checkout-app"),
    role: str = typer.Option(
        ..., "--role", help="admin (every route) or predict (predict routes only)"
    ),
) -> None:
    """Create a token and print it once; only its hash is stored."""
    token, info = registry_from(ctx, create=True).tokens.create(name, role)
    typer.echo(token)
    err_console.print(
        f"token {info.name!r} (role {info.role}) created: store it now, it is not shown again",
        markup=False,
        highlight=False,
    )


@app.command("list")
def list_tokens(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="include revoked tokens"),
) -> None:
    """Names, roles, when created and last used; never the tokens themselves."""
    tokens = registry_from(ctx).tokens.list_tokens(include_revoked=all_)
    if not tokens:
        console.print(
            "no tokens yet; create one with `modelyard token create NAME --role admin`",
            markup=False,
        )
        return
    console.print(_table(tokens, revoked=all_))


def _table(tokens: list[TokenInfo], *, revoked: bool) -> Table:
    table = Table(title="tokens", title_justify="left")
    columns = ["name", "role", "token", "created", "by", "last used"]
    for column in columns + (["revoked"] if revoked else []):
        table.add_column(column)
    for info in tokens:
        cells = [
            escape(info.name),
            info.role,
            escape(info.hint),
            _when(info.created_at),
            escape(info.created_by),
            _when(info.last_used_at),
        ]
        if revoked:
            cells.append(_when(info.revoked_at))
        table.add_row(*cells)
    table.caption = "last used: as of the servers' latest registry poll"
    return table


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the token's name, as `modelyard token list` shows"),
) -> None:
    """Revoke a token; running servers refuse it from their next registry poll."""
    info = registry_from(ctx).tokens.revoke(name)
    console.print(
        f"token {info.name!r} revoked; servers refuse it from their next registry poll "
        "(serve --reload-interval, 5 s by default; at once on POST /admin/reload)",
        markup=False,
        highlight=False,
    )
