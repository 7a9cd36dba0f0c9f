"""``modelyard check endpoints.yaml``: validate a file, resolve every ref, load every model.

Meant for CI: a file that would not serve fails here, with one ``file:line: message`` per
problem and exit code 2, before a server ever starts. Every endpoint is checked, so one run
lists every problem of the file.
"""

from __future__ import annotations

from pathlib import Path

import click
import typer
from rich.table import Table

from modelyard.cli.context import Settings, console, err_console
from modelyard.core.errors import ModelyardError
from modelyard.pipeline.components import Origin
from modelyard.pipeline.endpoint import Endpoint, read_endpoints_file
from modelyard.registry import Registry


def _registry(url: str | None) -> Registry:
    """``--registry`` of this command, else the root command's options, else the default."""
    context = click.get_current_context(silent=True)
    settings = (context.find_object(Settings) if context else None) or Settings()
    return Registry(url or settings.registry_url, settings.artifacts)


def _fail(message: str) -> None:
    for line in message.splitlines():
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def check(
    endpoints_file: Path = typer.Argument(..., help="the endpoints.yaml to check"),
    registry: str | None = typer.Option(
        None, "--registry", help="SQLAlchemy URL of the registry (default: the root option)"
    ),
) -> None:
    """Validate an endpoints file, resolve every model ref and load every model once."""
    try:
        endpoints, root = read_endpoints_file(endpoints_file)
        store = _registry(registry)
    except ModelyardError as error:
        _fail(str(error))
        raise typer.Exit(2) from None
    table = Table(title=str(endpoints_file), title_justify="left")
    for column in ("endpoint", "model", "version", "pipeline", "status"):
        table.add_column(column)
    failed = False
    for i, spec in enumerate(endpoints.endpoints):
        origin = Origin(str(endpoints_file), root, ("endpoints", i))
        try:
            endpoint = Endpoint(spec, store, origin)
        except ModelyardError as error:
            failed = True
            message = str(error)
            if not message.startswith(f"{endpoints_file}:"):
                # raised by the model's package or runner: point at the ref that chose it
                message = str(origin.at("model").error(f"{spec.model}: {message}"))
            _fail(message)
            table.add_row(spec.id, spec.model, "-", "-", "[red]failed[/red]")
            continue
        overridden = ", ".join(endpoint.pipeline.overridden)
        table.add_row(
            spec.id,
            spec.model,
            str(endpoint.model.version),
            f"override: {overridden}" if overridden else "manifest",
            "[green]OK[/green]",
        )
        endpoint.close()
    console.print(table)
    if failed:
        raise typer.Exit(2)
