"""``modelyard models list|show``, ``modelyard log`` and ``modelyard lineage``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from modelyard.cli import render
from modelyard.cli.context import console, registry_from
from modelyard.cli.progress import working

app = typer.Typer(help="List and inspect registered models.", no_args_is_help=True)


@app.command("list")
def list_models(ctx: typer.Context) -> None:
    """List every model with its latest version and aliases."""
    summaries = registry_from(ctx).list_models()
    if not summaries:
        console.print("no models registered yet: log one with modelyard.log_model(...)")
        return
    table = Table(title="models", title_justify="left")
    for column in ("name", "latest", "versions", "aliases", "updated"):
        table.add_column(column)
    for summary in summaries:
        table.add_row(
            summary.name,
            str(summary.latest_version),
            str(summary.versions),
            ", ".join(f"@{alias}→{v}" for alias, v in sorted(summary.aliases.items())),
            summary.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME, NAME:VERSION or NAME@ALIAS"),
    full: bool = typer.Option(False, "--full", help="list every column and profiled feature"),
) -> None:
    """Show a version: signature, lineage, metrics, parity, profile and aliases."""
    store = registry_from(ctx)
    version = store.get(ref)
    console.print(render.version_overview(version))
    console.print(render.signature(version.manifest, full))
    for table in render.lineage(version.manifest.lineage):
        console.print(table)
    profile = render.profile_summary(version.manifest, None if full else render.MAX_LISTED_COLUMNS)
    if profile is not None:
        console.print(profile)
    evaluated = render.evaluations(store.list_evaluations(version.name, version.version))
    if evaluated is not None:
        console.print(evaluated)


def log(
    ctx: typer.Context,
    model_file: Path = typer.Argument(
        ..., help="an .onnx file, a pickle (.pkl/.joblib) or a TorchScript file (.pt)"
    ),
    manifest: Path = typer.Option(
        ..., "--manifest", "-m", help="YAML naming the model, its format, signature and pipeline"
    ),
) -> None:
    """Register an existing ONNX, pickle or TorchScript file described by a manifest YAML."""
    with working(f"log {model_file}: loading, converting and proving the model"):
        from modelyard.api import log_file  # packaging loads scikit-learn: only when logging

        version = log_file(model_file, manifest, registry=registry_from(ctx, create=True))
    console.print(f"registered {version.name}:{version.version} ({version.digest[:12]})")


def lineage(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME:VERSION (or NAME@ALIAS)"),
) -> None:
    """Show which code and data made a version, and its test metrics."""
    version = registry_from(ctx).get(ref)
    for table in render.lineage(version.manifest.lineage):
        console.print(table)
    metrics = version.manifest.metrics
    if metrics is not None:
        console.print(
            render.key_values(
                f"test metrics (data {metrics.dataset_sha256[:16]})",
                [(key, f"{value:.4f}") for key, value in metrics.values.items()],
            )
        )
