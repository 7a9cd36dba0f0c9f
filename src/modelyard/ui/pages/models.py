"""The models pages: every model; one model's versions and a metric across them; one version's
signature, pipeline, lineage, profile and stored evaluations (each report embedded).

Read through the registry calls ``modelyard models list|show`` makes. An unknown model or
version answers a 404 page naming what exists (never repeating what was asked for).
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelyard.core.errors import NotFoundError
from modelyard.core.extras import missing_extra
from modelyard.core.refs import ModelRef
from modelyard.package.manifest import ComponentSpec, Manifest
from modelyard.registry import ModelVersion, Registry
from modelyard.ui.charts import metric_chart, profile_histograms
from modelyard.ui.context import UiContext
from modelyard.ui.model_views import VersionView, metric_names, model_overviews, version_views
from modelyard.ui.templates import render

REPORT_POLICY = {
    # The stored report is one self-contained document: its own <style>, inline SVG charts,
    # no script and no request anywhere; it may only be framed by the dashboard.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "cache-control": "no-store",
}


if TYPE_CHECKING:
    from modelyard.evaluation.result import EvaluationResult


def _results(stored: list[dict[str, Any]]) -> list[EvaluationResult]:
    """Stored evaluations as results. Imported here, not at start: an evaluation's model
    loads scikit-learn, which a serving-only install has not (the rest of the pages work)."""
    from modelyard.evaluation.result import EvaluationResult

    return [EvaluationResult.model_validate(result) for result in stored]


class Missing(Exception):
    """What a page could not find, and what exists instead (the 404 page's message)."""


def _known_model(registry: Registry, name: str) -> None:
    names = [summary.name for summary in registry.list_models()]
    if name not in names:
        raise Missing(f"no model of that name; models: {', '.join(names) or '(none yet)'}")


def _views(registry: Registry, name: str) -> list[VersionView]:
    _known_model(registry, name)
    return version_views(registry, name)


def _version(registry: Registry, name: str, number: str) -> ModelVersion:
    _known_model(registry, name)
    if number.isdigit():
        with contextlib.suppress(NotFoundError):
            return registry.get(ModelRef(name, version=int(number)))
    versions = ", ".join(str(v.version) for v in registry.list_versions(name)) or "(none)"
    raise Missing(f"{name} has no version of that number; versions: {versions}")


def _evaluation(registry: Registry, version: ModelVersion, dataset: str) -> EvaluationResult:
    result = registry.find_evaluation(version.name, version.version, dataset)
    if result is None:
        known = [
            r["dataset_sha256"][:12]
            for r in registry.list_evaluations(version.name, version.version)
        ]
        raise Missing(
            f"{version.ref} has no evaluation on that data; evaluated on: "
            f"{', '.join(known) or '(none)'}"
        )
    return _results([result])[0]


def stages(manifest: Manifest) -> list[tuple[str, str, str]]:
    """The pipeline as ``(stage, component, arguments as JSON)``, in the order a request
    meets them; a package without its own runner runs its format's default one."""

    def row(stage: str, spec: ComponentSpec) -> tuple[str, str, str]:
        return stage, spec.name, json.dumps(spec.args, sort_keys=True) if spec.args else ""

    pipeline = manifest.pipeline
    runner = pipeline.runner or ComponentSpec(name=f"{manifest.format} (default)")
    return [
        row("encoder", pipeline.encoder),
        row("runner", runner),
        *(row("postprocess", step) for step in pipeline.postprocess),
        row("formatter", pipeline.formatter),
    ]


def _chart_values(name: str, views: list[VersionView], metric: str | None) -> dict[str, Any]:
    names = metric_names(views)
    chosen = metric if metric in names else (names[0] if names else None)
    return {
        "name": name,
        "metrics": names,
        "metric": chosen,
        "chart": metric_chart(name, chosen, views) if chosen else None,
        "plotted": sum(1 for v in views if v.figures and chosen in v.figures.values),
    }


def add_routes(router: APIRouter, ui: UiContext) -> None:
    """Add the models pages to the dashboard's router."""
    registry = ui.registry

    def missing(request: Request, error: Missing) -> HTMLResponse:
        return render(request, "models_missing.html", status=404, message=str(error))

    def unavailable(request: Request, error: ImportError) -> HTMLResponse:
        message = str(missing_extra(error, "showing evaluations"))
        return render(request, "models_missing.html", status=501, message=message)

    @router.get("/models")
    def models(request: Request) -> HTMLResponse:
        return render(request, "models.html", models=model_overviews(registry))

    @router.get("/models/{name}")
    def model(request: Request, name: str, metric: str | None = None) -> HTMLResponse:
        try:
            views = _views(registry, name)
        except Missing as error:
            return missing(request, error)
        aliases = registry.aliases(name)
        return render(
            request, "models_detail.html", views=views, aliases=aliases,
            **_chart_values(name, views, metric),
        )  # fmt: skip

    @router.get("/models/{name}/chart")
    def chart(request: Request, name: str, metric: str | None = None) -> HTMLResponse:
        try:
            views = _views(registry, name)
        except Missing as error:
            return missing(request, error)
        return render(request, "models_chart.html", **_chart_values(name, views, metric))

    @router.get("/models/{name}/versions/{number}")
    def version(request: Request, name: str, number: str) -> HTMLResponse:
        try:
            found = _version(registry, name, number)
        except Missing as error:
            return missing(request, error)
        manifest = found.manifest
        try:
            evaluations = _results(registry.list_evaluations(found.name, found.version))
        except ImportError as error:
            return unavailable(request, error)
        return render(
            request, "models_version.html", version=found, manifest=manifest,
            stages=stages(manifest), histograms=profile_histograms(manifest.profile),
            evaluations=evaluations,
        )  # fmt: skip

    @router.get("/models/{name}/versions/{number}/evaluations/{dataset}")
    def report(request: Request, name: str, number: str, dataset: str) -> HTMLResponse:
        try:
            result = _evaluation(registry, _version(registry, name, number), dataset)
        except Missing as error:
            return missing(request, error)
        except ImportError as error:
            return unavailable(request, error)
        from modelyard.evaluation.report_html import render_html

        return HTMLResponse(render_html(result), headers=REPORT_POLICY)
