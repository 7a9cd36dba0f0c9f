"""What every command shares: the registry it talks to and the consoles it prints on."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from rich.console import Console

from modelyard.registry import Registry

console = Console()
err_console = Console(stderr=True)


@dataclass
class Settings:
    """Registry location chosen on the command line (else the environment, else ./.modelyard)."""

    registry_url: str | None = None
    artifacts: str | None = None


def registry_from(ctx: typer.Context) -> Registry:
    """The registry named by the root options of this invocation."""
    settings = ctx.find_object(Settings) or Settings()
    return Registry(settings.registry_url, settings.artifacts)
