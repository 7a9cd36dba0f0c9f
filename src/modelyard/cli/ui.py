"""``modelyard ui``: the dashboard over a registry, without serving any endpoint."""

from __future__ import annotations

import typer

from modelyard.cli.context import console, registry_from
from modelyard.cli.progress import working


def ui(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8090, "--port", help="TCP port."),
    registry: str | None = typer.Option(
        None,
        "--registry",
        envvar="MODELYARD_REGISTRY_URL",
        metavar="URL",
        help="SQLAlchemy URL of the registry (default: the nearest .modelyard/).",
    ),
) -> None:
    """Open the dashboard (models, aliases, evaluations) at http://HOST:PORT/ui."""
    with working("ui: loading the dashboard"):
        from modelyard.ui.standalone import run  # the web stack loads only here

    run(registry_from(ctx, registry), host=host, port=port, announce=console.print)
