"""The aliases page: where every alias points, every move it made (who, when, why, forced or a
rollback), and a *Roll back* button per alias.

Read through the registry calls ``modelyard alias history`` makes. The button posts to the
admin route ``POST /admin/models/{name}/aliases/{alias}/rollback``
(:mod:`modelyard.serving.alias_routes`, JSON only) with the visitor's token; once it succeeds
the model's section fetches itself again from ``/ui/aliases/{name}``, so writes go through
the admin route and its token check while the dashboard alone renders HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelyard.registry import AliasEvent, Registry
from modelyard.ui.context import UiContext
from modelyard.ui.templates import render


@dataclass(frozen=True)
class Target:
    """An alias, the version it points to, and the move that put it there."""

    alias: str
    version: int
    since: AliasEvent | None


@dataclass(frozen=True)
class ModelAliases:
    """One model's aliases now, and every move of them (newest first)."""

    name: str
    targets: list[Target]
    history: list[AliasEvent]

    @property
    def undone(self) -> set[int]:
        """The ids of the moves a later rollback undid."""
        return {event.rollback_of for event in self.history if event.rollback_of is not None}


def model_aliases(registry: Registry, name: str) -> ModelAliases:
    """``name``'s current targets and alias history."""
    history = registry.alias_history(name)
    latest = {event.alias: event for event in history}
    targets = [
        Target(alias, version, latest.get(alias))
        for alias, version in sorted(registry.aliases(name).items())
    ]
    return ModelAliases(name, targets, list(reversed(history)))


def add_routes(router: APIRouter, ui: UiContext) -> None:
    """Add the aliases page to the dashboard's router."""
    registry = ui.registry

    @router.get("/aliases")
    def aliases(request: Request) -> HTMLResponse:
        models = [model_aliases(registry, summary.name) for summary in registry.list_models()]
        return render(request, "aliases.html", models=models)

    @router.get("/aliases/{name}")
    def model_section(request: Request, name: str) -> HTMLResponse:
        """One model's section: what the page fetches after a rollback."""
        names = [summary.name for summary in registry.list_models()]
        if name not in names:
            message = f"no model of that name; models: {', '.join(names) or '(none yet)'}"
            return render(request, "models_missing.html", status=404, message=message)
        return render(request, "aliases_model.html", model=model_aliases(registry, name))
