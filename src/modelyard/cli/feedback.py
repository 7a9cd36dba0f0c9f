"""``modelyard feedback ENDPOINT --file labels.csv``: true labels for logged predictions.

Thin: the file goes to :func:`modelyard.monitoring.labelled.add_labels`, which keeps the
labels of request ids the endpoint's prediction log holds and counts the others.
"""

from __future__ import annotations

from pathlib import Path

import typer

from modelyard.cli.context import console, registry_from
from modelyard.cli.log_options import ENDPOINTS, STORE


def feedback(
    ctx: typer.Context,
    endpoint: str = typer.Argument(..., help="the endpoint that answered the requests"),
    file: Path = typer.Option(
        ...,
        "--file",
        help="CSV (or .parquet) with columns request_id, label and optionally instance",
    ),
    store: str | None = STORE,
    endpoints: Path | None = ENDPOINTS,
) -> None:
    """Keep true labels for requests an endpoint logged (however late they come)."""
    from modelyard.monitoring.labelled import add_labels  # loads pandas

    added = add_labels(
        endpoint, file, registry=registry_from(ctx), store=store, endpoints=endpoints
    )
    console.print(added.summary(), markup=False, highlight=False)
