"""``modelyard batch REF --input PATH --output PATH``: a file scored as the server would answer.

Thin: the arguments go to :func:`modelyard.batch.score`; this module adds the progress bar
(rows/s and time left, on a terminal only) and prints the one-line summary.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from modelyard.cli.context import console, err_console, registry_from


def batch(
    ctx: typer.Context,
    ref_or_endpoint: str = typer.Argument(
        ..., help="name@alias, name:VERSION, or an endpoint id of --endpoints"
    ),
    input: str = typer.Option(
        ..., "--input", help="Parquet, CSV or JSON Lines: a file, folder or glob (fsspec URL)"
    ),
    output: str = typer.Option(
        ..., "--output", help="a .parquet or .csv file, or a folder of parts (ending with /)"
    ),
    endpoints: Path | None = typer.Option(
        None, "--endpoints", help="endpoints file declaring REF_OR_ENDPOINT (its pipeline)"
    ),
    keep: str = typer.Option("", "--keep", help="input columns copied to the output: COL,..."),
    chunk_rows: int = typer.Option(100_000, "--chunk-rows", help="rows read and scored at once"),
    engine: str = typer.Option(
        "local", "--engine", help="local: worker processes here; ray: actors on a Ray cluster"
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="processes or Ray actors (default: cores)"
    ),
    address: str | None = typer.Option(
        None, "--address", help="--engine ray: the cluster to join (default: start one here)"
    ),
    resume: bool = typer.Option(False, "--resume", help="continue an interrupted run"),
    max_rejects: int = typer.Option(
        0, "--max-rejects", help="stop after more refused rows than this (0: never)"
    ),
) -> None:
    """Score a file of rows through a version's pipeline (as the server answers them)."""
    from modelyard.batch import score  # loads pandas, pyarrow and the runner

    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("scoring", total=None, rate="")

        def on_rows(done: int, total: int | None) -> None:
            speed = bar.tasks[0].speed
            bar.update(task, completed=done, total=total, rate=f"{speed or 0:,.0f} rows/s")

        summary = score(
            ref_or_endpoint,
            input=input,
            output=output,
            endpoints=endpoints,
            keep=[name.strip() for name in keep.split(",") if name.strip()],
            chunk_rows=chunk_rows,
            engine=engine,
            workers=workers,
            address=address,
            resume=resume,
            max_rejects=max_rejects,
            registry=registry_from(ctx),
            on_rows=on_rows,
        )
    console.print(summary.line(), markup=False, highlight=False, soft_wrap=True)
