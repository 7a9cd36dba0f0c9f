"""``/ui/monitoring``: which endpoints log their requests, and ``/ui/monitoring/{id}``: an
endpoint's drift over time, dataset drift share, prediction drift and live performance.

On a server the endpoints and their ``logging:`` / ``monitoring:`` settings come from the
served endpoints. Under ``modelyard ui`` (no server) the page of one endpoint still reads its
log from the registry database (``/ui/monitoring/{id}``, or the form on the list page): the
registry keeps no list of the endpoints that logged, so the list says no server is attached.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from modelyard.core.errors import ModelyardError
from modelyard.core.extras import MissingExtraError, missing_extra
from modelyard.pipeline.config_values import parse_duration
from modelyard.pipeline.spec import EndpointSpec
from modelyard.ui.context import UiContext
from modelyard.ui.templates import render

if TYPE_CHECKING:  # pandas and scipy load with the first monitoring page, not with the server
    from modelyard.monitoring.performance_report import VersionPerformance
    from modelyard.ui.pages.monitoring_view import WindowCache

DRIFT_SPAN = timedelta(hours=24)
"""The span of the charts of an endpoint without ``monitoring:`` (``modelyard monitor``'s)."""
PERFORMANCE_SPAN = timedelta(days=7)
"""Live performance's span without ``monitoring.performance_window`` (the CLI's)."""
WINDOWS = 12
MAX_SPAN = timedelta(days=366)
MIN_ROWS = 100
"""Rows a feature needs in a window for a verdict, without ``monitoring.min_rows``."""

TURN_ON = (
    "logging: {sample_rate: 0.1}",
    "monitoring: {window: 1h}",
)
"""The lines of an endpoint in endpoints.yaml that turn the log (and the server's drift) on."""


class BadQuery(ValueError):
    """A ``since`` or ``windows`` in the page's query that does not fit."""


def _span(value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError:
        seconds = None
    if not isinstance(seconds, float) or not 1 <= seconds <= MAX_SPAN.total_seconds():
        raise BadQuery("since must be a duration from 1s to 366d, such as 30m, 1h or 7d")
    return timedelta(seconds=seconds)


def _windows(value: str | None, most: int) -> int:
    if value is None:
        return WINDOWS
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise BadQuery(f"windows must be a whole number from 1 to {most}")
    return int(value)


def duration(seconds: float) -> str:
    """``seconds`` in the largest whole unit: ``7d``, ``1h``, ``5m``, ``90s``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def metric_names(version: VersionPerformance) -> list[str]:
    """The metrics any window of ``version`` has, sorted: the columns of its table."""
    return sorted({name for window in version.windows for name in window.metrics})


def page_values(
    ui: UiContext,
    cache_of: Callable[[], WindowCache],
    endpoint: str,
    spec: EndpointSpec | None,
    query: Mapping[str, str],
) -> dict[str, Any]:
    """Everything the endpoint's page shows, for the ``since`` and ``windows`` of ``query``
    (computed in a worker thread, where pandas and scipy are imported)."""
    try:
        from modelyard.monitoring.drift_history import MAX_WINDOWS, drift_windows
        from modelyard.ui.pages.monitoring_view import drift_over_time, performance_of
    except ImportError as error:  # a serving install without the monitoring libraries
        raise missing_extra(error, "the monitoring page") from None

    monitoring = spec.monitoring if spec is not None else None
    since, windows = _span(query.get("since")), _windows(query.get("windows"), MAX_WINDOWS)
    if since is None:
        since = timedelta(seconds=monitoring.window) if monitoring else DRIFT_SPAN
    min_rows = monitoring.min_rows if monitoring else MIN_ROWS
    spans = drift_windows(since, windows)
    try:
        found, versions = drift_over_time(cache_of(), endpoint, spec, spans, min_rows=min_rows)
        drift_error = ""
    except (ModelyardError, OSError) as error:  # e.g. a logged version deleted since
        found, versions, drift_error = [], [], str(error)
    span = timedelta(seconds=monitoring.performance_window) if monitoring else PERFORMANCE_SPAN
    try:
        performance, performance_error = performance_of(ui.registry, endpoint, spec, span), ""
    except ModelyardError as error:  # e.g. a gates file that cannot be read
        performance, performance_error = None, str(error)
    return {
        "endpoint": endpoint,
        "since": since,
        "spans": spans,
        "rows": sum(w.rows for w in found),
        "min_rows": min_rows,
        "versions": versions,
        "drift_error": drift_error,
        "performance": performance,
        "performance_error": performance_error,
    }


def add_routes(router: APIRouter, ui: UiContext) -> None:
    """The list of endpoints and each endpoint's monitoring page."""
    caches: list[WindowCache] = []  # made by the first page that needs one, in its thread
    making = threading.Lock()

    def cache() -> WindowCache:
        from modelyard.ui.pages.monitoring_view import WindowCache

        with making:
            if not caches:
                caches.append(WindowCache(ui.registry))
            return caches[0]

    @router.get("/monitoring", response_model=None)
    async def endpoints(request: Request, endpoint: str | None = None) -> Response:
        if ui.live is None and endpoint:
            return RedirectResponse(f"/ui/monitoring/{quote(endpoint, safe='')}", status_code=303)
        served = sorted(ui.live.current.values(), key=lambda s: s.id) if ui.live else None
        latest = ui.live.monitors.latest if ui.live else {}  # the server's background figures
        return render(request, "monitoring.html", served=served, latest=latest, turn_on=TURN_ON)

    @router.get("/monitoring/{endpoint}", response_model=None)
    async def endpoint_page(request: Request, endpoint: str) -> HTMLResponse:
        spec = None
        if ui.live is not None:
            served = ui.live.current.get(endpoint)
            if served is None:
                known = ", ".join(sorted(ui.live.current)) or "(none)"
                return render(
                    request, "monitoring_error.html", status=404, endpoint=None,
                    message=f"no endpoint of that name; endpoints: {known}",
                )  # fmt: skip
            spec = served.spec
            if spec.logging.sample_rate == 0:
                return render(
                    request, "monitoring_unlogged.html", endpoint=endpoint, turn_on=TURN_ON
                )
        query = dict(request.query_params)
        try:
            values = await asyncio.to_thread(page_values, ui, cache, endpoint, spec, query)
        except (BadQuery, MissingExtraError) as error:
            return render(
                request, "monitoring_error.html", endpoint=endpoint, message=str(error),
                status=400 if isinstance(error, BadQuery) else 503,
            )  # fmt: skip
        return render(
            request, "monitoring_endpoint.html", attached=ui.live is not None,
            duration=duration, metric_names=metric_names, **values,
        )  # fmt: skip
