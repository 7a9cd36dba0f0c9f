"""``modelyard containerize endpoints.yaml --out DIR``: the build context of a server image."""

from __future__ import annotations

from pathlib import Path

import typer

from modelyard.cli.context import console, registry_from
from modelyard.cli.progress import working


def containerize(
    ctx: typer.Context,
    endpoints_file: Path = typer.Argument(..., help="endpoints.yaml the image serves."),
    out: Path = typer.Option(
        ..., "--out", metavar="DIR", help="New or empty folder to write the build context in."
    ),
    registry: str | None = typer.Option(
        None,
        "--registry",
        metavar="URL",
        help="SQLAlchemy URL of the registry the refs resolve in (default: the root option).",
    ),
) -> None:
    """Write a Docker build context serving ENDPOINTS_FILE: pinned serving install, the
    verified packages of every version it serves (in a registry of their own), a non-root
    user and a health check."""
    with working(f"containerize: writing {out}"):
        from modelyard.containerize import build_context  # loads the registry and pipeline

        built = build_context(endpoints_file, out, registry_from(ctx, registry))
    console.print(f"build context: {built.path}", markup=False, highlight=False)
    for version in built.versions:
        aliases = "".join(f" @{alias}" for alias in version.aliases)
        console.print(
            f"  {version.ref}{aliases}  package {version.digest[:12]}",
            markup=False,
            highlight=False,
        )
    extras = f" (extras: {', '.join(built.extras)})" if built.extras else ""
    console.print(
        f"  {len(built.pins)} pinned requirements{extras}, {built.wheel.name}",
        markup=False,
        highlight=False,
    )
    console.print(f"next: docker build -t NAME {built.path}", markup=False, highlight=False)
