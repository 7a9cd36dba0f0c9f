"""Drift over time: the computation of ``modelyard monitor`` repeated over successive windows
of an endpoint's prediction log.

One drift report says whether the last day looks like the reference; a series of them says
*when* it stopped looking like it. Each window is judged exactly as :func:`drift_of_log`
judges a whole span (same statistics, same ``min_rows``, each version against its own
reference), so a point of the series is what ``modelyard monitor --since`` would have said of
that window alone.

Windows are cut on a grid from the Unix epoch (like live performance's), so a finished
window keeps its bounds from one call to the next and a caller may keep its result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from modelyard.core.errors import ConfigError
from modelyard.monitoring.endpoint_drift import (
    DRIFT_COLUMNS,
    Baseline,
    VersionDrift,
    drift_of_log,
)
from modelyard.monitoring.store import LogStore

MAX_WINDOWS = 24
"""The most windows one series holds: each window is one read of the log and one report."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Span(BaseModel, frozen=True):
    """One window of the log: ``start <= time < end``."""

    start: datetime
    end: datetime


class WindowDrift(BaseModel):
    """The drift of one window: how many records it held, and each (variant, version)'s."""

    span: Span
    rows: int
    versions: list[VersionDrift]


def drift_windows(since: timedelta, count: int, now: datetime | None = None) -> list[Span]:
    """``count`` windows covering the last ``since``, oldest first, each ``since / count``
    long (whole seconds) and aligned on the epoch; the newest one holds ``now``."""
    if not 1 <= count <= MAX_WINDOWS:
        raise ConfigError(f"windows must be between 1 and {MAX_WINDOWS}")
    if since <= timedelta(0):
        raise ConfigError("the span must be a positive duration (e.g. 1h, 1d)")
    length = timedelta(seconds=max(1, round(since.total_seconds() / count)))
    now = now or datetime.now(UTC)
    newest = EPOCH + ((now - EPOCH) // length) * length
    starts = [newest - length * back for back in reversed(range(count))]
    return [Span(start=start, end=start + length) for start in starts]


def window_drift(
    store: LogStore,
    endpoint: str,
    span: Span,
    baseline_of: Callable[[str, int], Baseline],
    *,
    min_rows: int,
) -> WindowDrift:
    """The drift of ``endpoint``'s answered requests logged in ``span``, per variant and
    version (``baseline_of`` as :func:`drift_of_log` takes it)."""
    log = store.read(endpoint, since=span.start, until=span.end, columns=DRIFT_COLUMNS)
    versions = drift_of_log(log, baseline_of, min_rows=min_rows) if len(log) else []
    return WindowDrift(span=span, rows=len(log), versions=versions)
