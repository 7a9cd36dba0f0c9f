"""``modelyard serve endpoints.yaml``: run the inference server."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from modelyard.cli.context import Settings
from modelyard.cli.progress import working


class LogFormat(StrEnum):
    """How the server writes its logs on stderr."""

    auto = "auto"
    json = "json"
    text = "text"


def serve(
    ctx: typer.Context,
    endpoints_file: Path = typer.Argument(..., help="endpoints.yaml to serve."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes."),
    registry: str | None = typer.Option(
        None,
        "--registry",
        envvar="MODELYARD_REGISTRY_URL",
        metavar="URL",
        help="SQLAlchemy URL of the registry (default: the nearest .modelyard/).",
    ),
    reload_interval: float = typer.Option(
        5.0, "--reload-interval", min=0, help="Seconds between alias checks (0: only on demand)."
    ),
    timeout: float = typer.Option(
        30.0, "--timeout", min=0.001, help="Seconds a request may wait for the model (else 504)."
    ),
    body_timeout: float = typer.Option(
        30.0, "--body-timeout", min=0.001, help="Seconds to receive a request body (else 408)."
    ),
    keep_alive_timeout: int = typer.Option(
        5, "--keep-alive-timeout", min=1, help="Seconds an idle connection is kept open."
    ),
    log_format: LogFormat = typer.Option(
        LogFormat.auto,
        "--log-format",
        help="auto: readable lines on a terminal, JSON lines otherwise.",
    ),
) -> None:
    """Serve the endpoints of ENDPOINTS_FILE over HTTP (native JSON, images, and V2)."""
    with working("serve: loading the server"):
        from modelyard.serving.server import run  # the server stack loads only to serve

    settings = ctx.find_object(Settings) or Settings()
    run(
        str(endpoints_file),
        host=host,
        port=port,
        workers=workers,
        registry=registry or settings.registry_url,
        artifacts=settings.artifacts,
        reload_interval_s=reload_interval,
        timeout_s=timeout,
        body_timeout_s=body_timeout,
        keep_alive_s=keep_alive_timeout,
        log_format=log_format.value,
    )
