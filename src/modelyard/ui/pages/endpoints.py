"""The endpoints pages: every served endpoint with its variants, and one endpoint's live
figures, stage timings and rollout, with the rollout's actions.

- ``/ui/endpoints``: each endpoint's strategy, variants (role, weight, model version,
  reference) and shadows.
- ``/ui/endpoints/{id}``: the same for one endpoint, then two fragments that refresh in
  place: ``/live`` (requests/s, error rate, p50/p99 and time per stage of each variant, from
  :class:`~modelyard.ui.live_stats.LiveStats`) and ``/rollout`` (the status document
  ``modelyard rollout status`` prints, from :func:`~modelyard.routing.status.status_document`,
  as text from :mod:`~modelyard.routing.status_text`). The *Pause*, *Resume*, *Abort* and
  *Promote* buttons post to the admin rollout routes with the visitor's token.

Under ``modelyard ui`` no server is attached: every page says so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelyard.routing import status_text
from modelyard.routing.status import status_document
from modelyard.ui.context import Live, UiContext
from modelyard.ui.live_stats import VariantFigures
from modelyard.ui.sparkline import sparkline
from modelyard.ui.templates import render

if TYPE_CHECKING:
    from modelyard.serving.served import ServedEndpoint
    from modelyard.serving.variant import Variant

ACTIONS = ("pause", "resume", "abort", "promote")
"""The rollout actions, each a button posting to ``/admin/rollouts/{id}/{action}``."""


@dataclass(frozen=True)
class VariantRow:
    """One arm of an endpoint as the pages list it."""

    name: str
    role: str
    weight: float | None
    model: str
    version: str
    reference: str


@dataclass(frozen=True)
class EndpointView:
    """An endpoint's id, strategy and arms (answering variants first, then shadows)."""

    id: str
    strategy: str
    variants: list[VariantRow]
    shadows: list[VariantRow]


def describe(served: ServedEndpoint, live: Live) -> EndpointView:
    """The endpoint's arms with the weights its rollout routes by now (shadows: the percent
    of requests copied to them)."""
    state = live.rollouts.states.get(served.id)
    weights = {arm.name: arm.weight for arm in state.arms} if state is not None else {}

    def row(variant: Variant, role: str) -> VariantRow:
        return VariantRow(
            variant.name,
            role,
            weights.get(variant.name),
            variant.model_name,
            variant.version,
            variant.endpoint.spec.model,
        )

    return EndpointView(
        served.id,
        served.traffic.strategy,
        [row(variant, "variant") for variant in served.variants],
        [row(variant, "shadow") for variant in served.shadows],
    )


def _ms(seconds: float | None, digits: int = 2) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.{digits}f}"


@dataclass(frozen=True)
class LiveRow:
    """One arm's live figures as text ("—" where nothing was counted), with its sparkline."""

    name: str
    role: str
    version: str
    total: int
    rate: str
    errors: str
    p50: str
    p99: str
    window_s: float
    stages: list[tuple[str, str, str]]
    """(stage, mean ms, p99 ms) in the order of the request's stages."""
    sparkline: str


def live_rows(served: ServedEndpoint, live: Live) -> list[LiveRow]:
    """Each arm's live figures, answering variants first, then shadows."""
    rows = []
    for role, variants in (("variant", served.variants), ("shadow", served.shadows)):
        for variant in variants:
            found = live.stats.figures(served.id, variant.name)
            rate, errors = found.requests_per_s, found.error_rate
            rows.append(
                LiveRow(
                    name=variant.name,
                    role=role,
                    version=variant.version,
                    total=found.total_requests,
                    rate="—" if rate is None else f"{rate:.1f}",
                    errors="—" if errors is None else f"{errors:.2%}",
                    p50=_ms(found.p50_s),
                    p99=_ms(found.p99_s),
                    window_s=found.window_s,
                    stages=[
                        (stage.name, _ms(stage.mean_s, 3), _ms(stage.p99_s, 3))
                        for stage in found.stages
                    ],
                    sparkline=_trend(variant.name, found),
                )
            )
    return rows


def _trend(name: str, found: VariantFigures) -> str:
    """The variant's requests/s over the snapshots kept (up to ten minutes), as a sparkline."""
    span = max((age for age, _ in found.trend), default=0.0) or 1.0
    return sparkline(f"{name}: requests/s over the last {span:.0f} s", found.trend, span=span)


def canary_checks(served: ServedEndpoint) -> list[tuple[str, str]]:
    """What a canary's every step must pass, as the endpoints file sets it."""
    traffic: Any = served.traffic
    if traffic.strategy != "canary":
        return []
    checks = [
        ("steps", " → ".join(f"{step:g}%" for step in traffic.steps)),
        ("judged every", f"{traffic.interval:g} s, after at least {traffic.min_requests} requests"),
        ("deadline", f"{traffic.deadline:g} s"),
    ]
    optional = (
        ("max error rate", traffic.max_error_rate, "{:.2%}"),
        ("max error rate increase", traffic.max_error_rate_increase, "{:.2%}"),
        ("max p99 latency ratio", traffic.max_latency_ratio, "{:g} times"),
        ("min agreement", traffic.min_agreement, "{:.1%}"),
    )
    checks += [(label, form.format(value)) for label, value, form in optional if value is not None]
    return checks


async def rollout_view(served: ServedEndpoint, live: Live) -> dict[str, Any] | None:
    """The rollout's status document (as ``modelyard rollout status`` reads it) and its text;
    ``None`` before the server has read the rollout's state."""
    state = live.rollouts.states.get(served.id)
    if state is None:
        return None
    history = await asyncio.to_thread(live.rollouts.store.history, served.id)
    document = status_document(state, history)
    return {
        "document": document,
        "started": status_text.when(document["started_at"]),
        "updated": status_text.when(document["updated_at"]),
        "variant_columns": status_text.VARIANT_COLUMNS,
        "variants": [status_text.variant_cells(item) for item in document["variants"]],
        "step_variants": [
            status_text.variant_cells(item) for item in document.get("step_variants") or ()
        ],
        "shadow_columns": status_text.SHADOW_COLUMNS,
        "shadows": [status_text.shadow_cells(item) for item in document["shadows"]],
        "verdict": status_text.verdict_lines(document["verdict"]) if document["verdict"] else [],
        "history": [
            {
                "when": status_text.when(event["at"]),
                "actor": event["actor"],
                "action": event["action"],
                "move": status_text.transition(event),
                "reason": event["reason"],
            }
            for event in reversed(document["history"][-status_text.HISTORY_LINES :])
        ],
    }


def add_routes(router: APIRouter, ui: UiContext) -> None:
    """Add the endpoints pages and their fragments to the dashboard's router."""

    def find(
        request: Request, endpoint_id: str, template: str
    ) -> tuple[Live, ServedEndpoint] | HTMLResponse:
        """The live state and the served endpoint, or ``template``'s answer when no server
        is attached (200, saying so) or nothing of that id is served (404 naming what is;
        never the id that was asked for)."""
        live = ui.live
        if live is None:
            return render(request, template, live=False)
        served = live.current.get(endpoint_id)
        if served is None:
            known = sorted(live.current)
            return render(request, template, status=404, live=True, known=known, missing=True)
        return live, served

    @router.get("/endpoints")
    async def endpoints(request: Request) -> HTMLResponse:
        live = ui.live
        if live is None:
            return render(request, "endpoints.html", live=False)
        views = [describe(served, live) for served in live.current.values()]
        return render(request, "endpoints.html", live=True, endpoints=views)

    @router.get("/endpoints/{endpoint_id}")
    async def endpoint(request: Request, endpoint_id: str) -> HTMLResponse:
        found = find(request, endpoint_id, "endpoint.html")
        if isinstance(found, HTMLResponse):
            return found
        live, served = found
        return render(
            request,
            "endpoint.html",
            live=True,
            endpoint=describe(served, live),
            rows=live_rows(served, live),
            checks=canary_checks(served),
            rollout=await rollout_view(served, live),
            actions=ACTIONS,
        )

    @router.get("/endpoints/{endpoint_id}/live")
    async def live_fragment(request: Request, endpoint_id: str) -> HTMLResponse:
        found = find(request, endpoint_id, "endpoint_live.html")
        if isinstance(found, HTMLResponse):
            return found
        live, served = found
        return render(request, "endpoint_live.html", live=True, rows=live_rows(served, live))

    @router.get("/endpoints/{endpoint_id}/rollout")
    async def rollout_fragment(request: Request, endpoint_id: str) -> HTMLResponse:
        found = find(request, endpoint_id, "endpoint_rollout.html")
        if isinstance(found, HTMLResponse):
            return found
        live, served = found
        view = await rollout_view(served, live)
        return render(request, "endpoint_rollout.html", live=True, rollout=view)
