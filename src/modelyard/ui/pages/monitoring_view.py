"""What the monitoring page shows of an endpoint: drift per feature over time, the dataset's
drift share, prediction drift, and live performance beside the promotion-time metrics.

The figures come from the library functions ``modelyard monitor`` uses: each window's drift
from :func:`~modelyard.monitoring.drift_history.window_drift` (the computation of
``modelyard monitor`` over one window), live performance from
:func:`~modelyard.monitoring.labelled.live_performance`. A window's drift is kept for
:data:`KEEP_S` per (endpoint, window): a page refreshed every few seconds reads the log once a
minute, not at every load. Live performance is read at every load: labels arrive any time
and the computation is cheap without bootstrap intervals.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from modelyard.evaluation.svg import window_chart
from modelyard.monitoring.drift_history import Span, WindowDrift, window_drift
from modelyard.monitoring.drift_report import DriftReport, FeatureDrift
from modelyard.monitoring.endpoint_drift import BaselineLoader, baseline_loader
from modelyard.monitoring.labelled import live_performance, log_store
from modelyard.monitoring.performance_report import PerformanceReport
from modelyard.pipeline.spec import EndpointSpec
from modelyard.registry import Registry

KEEP_S = 60.0
"""How long a window's drift is reused before the log is read again."""

VersionKey = tuple[str, str, int]
"""(variant, model, version): one line of drift, judged against that version's reference."""


@dataclass
class FeatureSeries:
    """One feature's statistic per window, as a small chart, and its latest verdict."""

    name: str
    method: str
    latest: FeatureDrift | None
    drifted_windows: int
    chart: str


@dataclass
class VersionSeries:
    """One (variant, version)'s drift over the windows."""

    variant: str
    model: str
    version: int
    latest: DriftReport | None
    features: list[FeatureSeries]
    dataset_chart: str
    prediction_chart: str | None
    notes: list[str] = field(default_factory=list)


LOADERS_KEPT = 8
"""Baseline loaders kept, one per (endpoint, pipeline overrides): the least recently used
goes (with its baselines) once more endpoints, or an endpoint's changed overrides, come."""


class WindowCache:
    """Each (endpoint, window)'s drift for :data:`KEEP_S`, and the baselines (a version's
    reference and its answers for it) of the endpoints viewed lately: at most
    :data:`LOADERS_KEPT` loaders of at most
    :data:`~modelyard.monitoring.endpoint_drift.BASELINES_KEPT` versions each."""

    def __init__(self, registry: Registry, clock: Callable[[], float] = time.monotonic) -> None:
        self._registry = registry
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, Span, int], tuple[float, WindowDrift]] = {}
        self._loaders: OrderedDict[tuple[str, str], BaselineLoader] = OrderedDict()

    @property
    def loaders(self) -> list[tuple[str, str]]:
        """The (endpoint, overrides) whose loaders are kept, least recently used first."""
        with self._lock:
            return list(self._loaders)

    def _loader(self, endpoint: str, spec: EndpointSpec | None) -> BaselineLoader:
        # Pipeline overrides change a version's answers for its reference: key them in.
        key = (endpoint, spec.pipeline.model_dump_json() if spec and spec.pipeline else "")
        with self._lock:
            if key not in self._loaders:
                self._loaders[key] = baseline_loader(self._registry, spec)
                while len(self._loaders) > LOADERS_KEPT:
                    self._loaders.popitem(last=False)
            self._loaders.move_to_end(key)
            return self._loaders[key]

    def drift(
        self, endpoint: str, spec: EndpointSpec | None, spans: list[Span], min_rows: int
    ) -> list[WindowDrift]:
        """The drift of each of ``spans``, from the cache when computed less than a minute ago."""
        store = log_store(self._registry, spec, None)
        baseline_of = self._loader(endpoint, spec)
        now = self._clock()
        found = []
        for span in spans:
            key = (endpoint, span, min_rows)
            with self._lock:
                kept = self._windows.get(key)
            if kept is None or kept[0] < now:
                kept = (now + KEEP_S, window_drift(store, endpoint, span, baseline_of,
                                                   min_rows=min_rows))  # fmt: skip
                with self._lock:
                    self._windows = {k: v for k, v in self._windows.items() if v[0] >= now}
                    self._windows[key] = kept
            found.append(kept[1])
        return found


def _score(feature: FeatureDrift) -> float | None:
    """What a chart plots: the p-value of a test, else the distance (``None``: not judged)."""
    if feature.drifted is None:
        return None
    return feature.p_value if feature.p_value is not None else feature.statistic


def _axis(features: list[FeatureDrift | None]) -> tuple[str, float | None]:
    judged = [f for f in features if f is not None and f.drifted is not None]
    if not judged:
        return "not judged", None
    newest = judged[-1]
    return ("p-value" if newest.p_value is not None else newest.method or ""), newest.threshold


def _series(name: str, labels: list[str], per_window: list[FeatureDrift | None]) -> FeatureSeries:
    y_label, threshold = _axis(per_window)
    judged = [f for f in per_window if f is not None and f.drifted is not None]
    chart = window_chart(
        name,
        labels,
        [_score(f) if f is not None else None for f in per_window],
        threshold=threshold,
        flagged=[f.drifted if f is not None else None for f in per_window],
        y_label=y_label,
    )
    return FeatureSeries(
        name=name,
        method=y_label,
        latest=judged[-1] if judged else None,
        drifted_windows=sum(bool(f.drifted) for f in judged),
        chart=chart,
    )


def _order(series: FeatureSeries) -> tuple[int, int, str]:
    """Drifted in the newest judged window first, then by how often it drifted, then name."""
    now = series.latest is not None and bool(series.latest.drifted)
    return (0 if now else 1, -series.drifted_windows, series.name)


def window_label(span: Span) -> str:
    """A window by its start, in UTC."""
    return f"{span.start:%m-%d %H:%M}"


def version_series(windows: list[WindowDrift]) -> list[VersionSeries]:
    """Per (variant, version) seen in any window: one chart per feature (drifted first),
    the dataset's drift share and the predictions' drift over the windows."""
    labels = [window_label(w.span) for w in windows]
    reports: dict[VersionKey, list[DriftReport | None]] = {}
    for i, window in enumerate(windows):
        for found in window.versions:
            key = (found.variant, found.model, found.version)
            reports.setdefault(key, [None] * len(windows))[i] = found.report
    shown = []
    for (variant, model, version), per_window in sorted(reports.items()):
        names = sorted({f.name for r in per_window if r is not None for f in r.features})
        features = [
            _series(name, labels, [_feature(r, name) for r in per_window]) for name in names
        ]
        dataset = [r.dataset if r is not None else None for r in per_window]
        dataset_chart = window_chart(
            "dataset drift share",
            labels,
            [d.share if d is not None else None for d in dataset],
            threshold=next((d.threshold for d in dataset if d is not None), None),
            flagged=[d.drifted if d is not None else None for d in dataset],
            y_label="drifted share",
        )
        predictions = [r.prediction if r is not None else None for r in per_window]
        latest = next((r for r in reversed(per_window) if r is not None), None)
        shown.append(
            VersionSeries(
                variant=variant,
                model=model,
                version=version,
                latest=latest,
                features=sorted(features, key=_order),
                dataset_chart=dataset_chart,
                prediction_chart=_series("prediction", labels, predictions).chart
                if any(p is not None for p in predictions)
                else None,
                notes=sorted({r.note for r in per_window if r is not None and r.note}),
            )
        )
    return shown


def _feature(report: DriftReport | None, name: str) -> FeatureDrift | None:
    if report is None:
        return None
    return next((f for f in report.features if f.name == name), None)


def drift_over_time(
    cache: WindowCache,
    endpoint: str,
    spec: EndpointSpec | None,
    spans: list[Span],
    *,
    min_rows: int,
) -> tuple[list[WindowDrift], list[VersionSeries]]:
    """The drift of each of ``spans``, and the charts of them."""
    found = cache.drift(endpoint, spec, spans, min_rows)
    return found, version_series(found)


def performance_of(
    registry: Registry, endpoint: str, spec: EndpointSpec | None, since: timedelta
) -> PerformanceReport:
    """Live performance of the last ``since`` in daily windows (one window when shorter),
    without intervals: the page shows values beside the promotion-time ones."""
    window = min(since, timedelta(days=1))
    return live_performance(
        endpoint, registry=registry, spec=spec, since=since, window=window, bootstrap=0
    )
