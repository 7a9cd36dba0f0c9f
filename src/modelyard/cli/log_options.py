"""The options every prediction-log command shares: where the log is, and the endpoints file
that says where (``predictions``, ``feedback``, ``monitor``)."""

from __future__ import annotations

import typer

STORE = typer.Option(
    None,
    "--store",
    metavar="STORE",
    help="where the prediction log is kept: registry (the registry database) or "
    "parquet:PATH (default: the endpoint's logging.store in --endpoints, else registry)",
)
ENDPOINTS = typer.Option(
    None, "--endpoints", help="the endpoints file declaring the endpoint (its logging.store)"
)
