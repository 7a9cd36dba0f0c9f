"""What every command shares: the registry it talks to and the consoles it prints on.

Nothing heavy is imported here: ``modelyard --help`` imports this module, and the registry
(SQLAlchemy, pandas through the package layer) loads only when a command opens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from modelyard.registry import Registry

console = Console()
err_console = Console(stderr=True)


@dataclass
class Settings:
    """Registry location chosen on the command line (else the environment, else discovery)."""

    registry_url: str | None = None
    artifacts: str | None = None


def registry_from(ctx: typer.Context, url: str | None = None, *, create: bool = False) -> Registry:
    """The registry named by ``url``, else by the root options, else the nearest ``.modelyard/``.

    Commands that only read pass ``create=False`` (the default), so a command run from the
    wrong folder says where it looked instead of answering from a new, empty registry.
    """
    from modelyard.registry import Registry

    settings = ctx.find_object(Settings) or Settings()
    return Registry(url or settings.registry_url, settings.artifacts, create=create)
