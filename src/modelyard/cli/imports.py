"""``modelyard import mlflow``: models made elsewhere, registered as modelyard versions."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from modelyard.cli.context import console, registry_from
from modelyard.cli.progress import working

app = typer.Typer(
    help="Import models from other tools, converted and proved like logged ones.",
    no_args_is_help=True,
)


@app.command("mlflow")
def mlflow(
    ctx: typer.Context,
    model_uri: str = typer.Argument(
        ...,
        help="models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH or a local folder "
        "holding an MLmodel file",
    ),
    name: str | None = typer.Option(
        None, "--name", help="model name here (default: the registered MLflow model's name)"
    ),
    tracking_uri: str | None = typer.Option(
        None,
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking store (default: MLFLOW_TRACKING_URI, else MLflow's default)",
    ),
    sample: Path | None = typer.Option(
        None,
        "--sample",
        metavar="FILE",
        help="CSV or Parquet feature rows for the parity proof and profile (default: the "
        "model's input example)",
    ),
) -> None:
    """Register an MLflow model (sklearn flavor converted to ONNX and proved; onnx as is)."""
    # MLflow's INFO lines (store created, engine options) would join the command's own on
    # stderr; its warnings still show, and a level the user set wins.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    with working(f"import {model_uri}: reading, converting and proving the model"):
        from modelyard.importers import import_mlflow  # MLflow and scikit-learn: only here

        version = import_mlflow(
            model_uri,
            name=name,
            tracking_uri=tracking_uri,
            sample=sample,
            registry=registry_from(ctx, create=True),
        )
    console.print(
        f"registered {version.name}:{version.version} ({version.digest[:12]}) from {model_uri}",
        markup=False,
        highlight=False,
    )
