"""The server's background monitoring: drift and live performance of each monitored endpoint.

Every ``monitoring.drift_every`` an endpoint's logged requests of the last
``monitoring.window`` are read back from its log store and compared, variant by variant, with
the reference of the version the variant serves now; its labelled requests of the last
``monitoring.performance_window`` are scored as ``modelyard monitor --performance`` scores
them (without bootstrap intervals: a gauge shows the value) and judged by
``monitoring.gates``. The work runs in a worker thread, one
endpoint at a time, never on the event loop; memory is bounded by the window's rows, not by
the log. The figures are kept as the last result per endpoint and read by ``/metrics`` at
each scrape (:mod:`modelyard.serving.monitoring_metrics`).

A version's baseline (its reference and its own answers for the reference rows) is computed
once per loaded version and kept while the version serves.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from modelyard.core.errors import ModelyardError
from modelyard.core.extras import MissingExtraError
from modelyard.monitoring.store import open_store
from modelyard.registry import Registry
from modelyard.serving.served import ServedEndpoint
from modelyard.serving.variant import Variant

if TYPE_CHECKING:  # pandas and scipy are imported only by servers that monitor
    from modelyard.monitoring.drift_report import DriftReport
    from modelyard.monitoring.endpoint_drift import Baseline
    from modelyard.monitoring.performance_report import GateGauge, LiveGauge

log = logging.getLogger("modelyard.serving")

TICK_S = 1.0
"""How often the task looks for an endpoint whose drift is due."""

LIVE_RESAMPLES = 199
"""Bootstrap resamples when a ``monitoring.gates`` gate judges an interval's bound: enough for
a 95% bound, and below :data:`modelyard.evaluation.bootstrap.PARALLEL_FROM`, so they run in
the monitoring thread instead of forking worker processes from the server."""

MONITORING_LIBRARIES = {
    "pandas": "pandas",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "pyarrow": "pyarrow",
}
"""What drift and live performance need beyond the serving install (the ``monitor`` extra):
a server without them would only find out at the first computation, in a background thread."""


def require_monitoring_libraries(endpoint: str) -> None:
    """Refuse to serve ``endpoint``'s ``monitoring:`` without the libraries it needs."""
    missing = [name for module, name in MONITORING_LIBRARIES.items() if not _importable(module)]
    if missing:
        raise MissingExtraError(
            f"endpoint {endpoint!r} has a monitoring: block, which needs {', '.join(missing)}: "
            'pip install "modelyard[monitor]"'
        )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class VariantFigures:
    """One variant's latest drift: which version, how many logged rows, the report."""

    variant: str
    version: str
    rows: int
    drift: DriftReport


@dataclass
class EndpointFigures:
    """An endpoint's latest figures and when they were computed (Unix time)."""

    at: float
    variants: list[VariantFigures] = field(default_factory=list)
    live: list[LiveGauge] = field(default_factory=list)
    """Each variant's metrics over its newest judged window of labelled requests."""
    gates: list[GateGauge] = field(default_factory=list)
    """Each ``monitoring.gates`` gate's verdict on that window."""


class Monitors:
    """The background task and its latest figures (endpoint id → figures)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self.latest: dict[str, EndpointFigures] = {}
        self._baselines: dict[str, Baseline] = {}
        self._due: dict[str, float] = {}

    async def run(self, endpoints: Callable[[], list[ServedEndpoint]]) -> None:
        """Recompute each monitored endpoint when it is due, until cancelled."""
        while True:
            for served in endpoints():
                monitoring = served.spec.monitoring
                if monitoring is None or time.monotonic() < self._due.get(served.id, 0.0):
                    continue
                self._due[served.id] = time.monotonic() + monitoring.drift_every
                try:
                    self.latest[served.id] = await asyncio.to_thread(self.measure, served)
                except (ModelyardError, OSError, ValueError) as error:
                    log.warning(
                        "drift of endpoint %s not computed: %s",
                        served.id,
                        error,
                        extra={"endpoint": served.id},
                    )
                except Exception:  # a bug must not end monitoring for every endpoint
                    log.exception(
                        "drift of endpoint %s failed", served.id, extra={"endpoint": served.id}
                    )
            self._forget_unserved(endpoints())
            await asyncio.sleep(TICK_S)

    def measure(self, served: ServedEndpoint) -> EndpointFigures:
        """The drift of ``served``'s answering variants over its window (in a worker thread)."""
        from modelyard.monitoring.endpoint_drift import (
            DRIFT_COLUMNS,
            logged_inputs,
            logged_predictions,
            version_drift,
        )

        monitoring = served.spec.monitoring
        assert monitoring is not None
        store = open_store(served.spec.logging.store, self._registry)
        since = datetime.now(UTC) - timedelta(seconds=monitoring.window)
        figures = EndpointFigures(time.time())
        for variant in served.variants:
            rows = store.read(served.id, since=since, variant=variant.name, columns=DRIFT_COLUMNS)
            if len(rows):
                rows = rows[(rows["status"] == 200) & (rows["version"] == int(variant.version))]
            report = version_drift(
                self._baseline(variant),
                logged_inputs(rows),
                logged_predictions(rows),
                min_rows=monitoring.min_rows,
            )
            figures.variants.append(
                VariantFigures(variant.name, variant.version, len(rows), report)
            )
        try:
            self._live(served, figures)
        except (ModelyardError, OSError, ValueError) as error:  # the drift still counts
            log.warning(
                "live performance of endpoint %s not computed: %s",
                served.id,
                error,
                extra={"endpoint": served.id},
            )
        return figures

    def _live(self, served: ServedEndpoint, figures: EndpointFigures) -> None:
        """The labelled requests of the performance window, scored in one window, into
        ``figures``. A gauge shows a value, so intervals are computed only when a gate
        judges a bound of one (:data:`LIVE_RESAMPLES`)."""
        from modelyard.evaluation.gates import MetricGate, load_gates
        from modelyard.monitoring.labelled import live_performance
        from modelyard.monitoring.performance_report import gate_gauges, live_gauges

        monitoring = served.spec.monitoring
        assert monitoring is not None
        gates = load_gates(monitoring.gates) if monitoring.gates else []
        bounded = any(isinstance(g, MetricGate) and g.on != "value" for g in gates)
        span = timedelta(seconds=monitoring.performance_window)
        report = live_performance(
            served.id, registry=self._registry, spec=served.spec, since=span, window=span,
            bootstrap=LIVE_RESAMPLES if bounded else 0,
        )  # fmt: skip
        figures.live = live_gauges(report)
        figures.gates = gate_gauges(report)

    def _baseline(self, variant: Variant) -> Baseline:
        from modelyard.monitoring.endpoint_drift import Baseline

        digest = _digest(variant)
        found = self._baselines.get(digest)
        if found is None:
            found = self._baselines[digest] = Baseline.of(variant.pipeline)
        return found

    def _forget_unserved(self, served: list[ServedEndpoint]) -> None:
        """Drop the baselines of versions no longer served, and endpoints gone."""
        digests = {_digest(variant) for endpoint in served for variant in endpoint.variants}
        for digest in list(self._baselines):
            if digest not in digests:
                del self._baselines[digest]
        ids = {s.id for s in served if s.spec.monitoring is not None}
        for endpoint in list(self.latest):
            if endpoint not in ids:
                del self.latest[endpoint]


def _digest(variant: Variant) -> str:
    """The loaded version's package digest (every served version is registered)."""
    digest = variant.pipeline.digest
    assert digest is not None, "a served version comes from the registry"
    return digest
