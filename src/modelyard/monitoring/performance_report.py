"""Live performance as a stable document: per variant and version, per time window.

What ``modelyard monitor ENDPOINT --performance --json`` prints, what the server's gauges are
read from, and what a test compares with ``modelyard evaluate --json``: the metrics and
intervals of a window are the same fields, computed by the same code, as an evaluation's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

from modelyard.evaluation.bootstrap import Interval
from modelyard.evaluation.verdicts import GateVerdict

REPORT_SCHEMA = 1
"""Bumped when the report changes shape."""


class Window(BaseModel):
    """One time window of one version: its labelled rows, metrics, intervals and verdicts."""

    start: datetime
    end: datetime
    logged_rows: int
    """Predictions this version answered in the window (successful ones)."""
    labelled_rows: int
    """Of those, the ones with a usable label: the rows the metrics are computed on."""
    unusable_labels: int = 0
    """Labels left out because the version cannot score them (not one of its classes; not a
    number for a regressor): one bad label must not stop every window from being judged."""
    metrics: dict[str, float | None] = Field(default_factory=dict)
    intervals: dict[str, Interval] = Field(default_factory=dict)
    judged: bool
    """``False`` when the window has fewer labelled rows than the minimum: no verdict."""
    verdicts: list[GateVerdict] = Field(default_factory=list)

    @property
    def failed(self) -> list[GateVerdict]:
        """The gates this window fails (none when not judged)."""
        return [verdict for verdict in self.verdicts if not verdict.passed]


class Promoted(BaseModel):
    """The metrics recorded for a version before it served, and where they come from."""

    source: Literal["evaluation", "manifest", "none"]
    """``evaluation``: the stored evaluation its alias move used (the newest one stored before
    the move); ``manifest``: the test metrics logged with the package; ``none``: neither."""
    dataset_sha256: str | None = None
    metrics: dict[str, float | None] = Field(default_factory=dict)


class VersionPerformance(BaseModel):
    """One model version as one variant of the endpoint served it."""

    variant: str
    model: str
    version: int
    task: Literal["classification", "regression"]
    promoted: Promoted
    windows: list[Window]


class PerformanceReport(BaseModel):
    """An endpoint's live performance from its labelled predictions."""

    schema_version: int = REPORT_SCHEMA
    endpoint: str
    since: datetime
    until: datetime
    window_seconds: float
    min_rows: int
    """Fewer labelled rows than this in a window: the window is not judged."""
    bootstrap: int
    seed: int
    gates: list[str]
    """The metric gates judged, as their verdicts name them."""
    logged_rows: int
    labelled_rows: int
    versions: list[VersionPerformance]


class LiveGauge(NamedTuple):
    """A metric of a variant's newest judged window, and whether a gate on it fails there."""

    variant: str
    metric: str
    value: float
    failing: bool


class GateGauge(NamedTuple):
    """A gate of a variant's newest judged window: failed or not."""

    variant: str
    gate: str
    failed: bool


def _newest_judged(report: PerformanceReport) -> dict[str, Window]:
    """Each variant's newest judged window (its newest version's, when versions changed)."""
    newest: dict[str, Window] = {}
    for version in report.versions:
        for window in version.windows:
            if not window.judged:
                continue
            held = newest.get(version.variant)
            if held is None or window.end > held.end:
                newest[version.variant] = window
    return newest


def live_gauges(report: PerformanceReport) -> list[LiveGauge]:
    """What ``modelyard_live_metric{endpoint, variant, metric}`` shows: each defined metric
    of each variant's newest judged window."""
    gauges = []
    for variant, window in sorted(_newest_judged(report).items()):
        failing = {verdict.gate.split(" ")[0] for verdict in window.failed}
        for metric, value in sorted(window.metrics.items()):
            if value is not None:
                gauges.append(LiveGauge(variant, metric, value, metric in failing))
    return gauges


def gate_gauges(report: PerformanceReport) -> list[GateGauge]:
    """What ``modelyard_live_gate_failed{endpoint, variant, gate}`` shows (1 = failed)."""
    return [
        GateGauge(variant, verdict.gate, not verdict.passed)
        for variant, window in sorted(_newest_judged(report).items())
        for verdict in window.verdicts
    ]
