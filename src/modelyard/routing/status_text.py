"""A rollout's status document as lines and table cells of plain text: what
``modelyard rollout status`` prints and the dashboard's endpoint page shows, written once.

Every figure may be missing (no traffic or no feedback yet): it shows as ``-``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

HISTORY_LINES = 5
"""How many of the latest history lines a status shows (the document has them all)."""

VARIANT_COLUMNS = (
    "variant", "ref", "version", "weight", "requests", "errors", "p50 ms", "p99 ms",
    "agreement", "reward [95% CI]", "feedback",
)  # fmt: skip
"""The columns of :func:`variant_cells`."""

SHADOW_COLUMNS = (
    "ref", "version", "percent", "mirrored", "dropped", "errors", "agreement", "mean |Δ|",
    "max |Δ|", "p50 ms", "p99 ms",
)  # fmt: skip
"""The columns of :func:`shadow_cells`."""


def when(value: Any) -> str:
    """A timestamp (ISO text or datetime) to the second, ``-`` when missing."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "-" if value is None else str(value)[:19].replace("T", " ")


def figure(value: Any, spec: str) -> str:
    """``value`` formatted by ``spec``, ``-`` when missing."""
    return "-" if value is None else format(value, spec)


def _percent(value: Any) -> str:
    return "-" if value is None else f"{value:g}%"


def reward(item: Mapping[str, Any]) -> str:
    """The mean reward and its 95% interval, as far as they are known."""
    mean, interval = item.get("reward_mean"), item.get("reward_ci")
    if mean is None:
        return "-"
    if not interval:
        return f"{mean:.3f}"
    low, high = interval
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def errors(item: Mapping[str, Any]) -> str:
    """The error count and its share of requests."""
    count, rate = item.get("errors"), item.get("error_rate")
    if count is None:
        return "-"
    return f"{count}" if rate is None else f"{count} ({rate:.2%})"


def variant_cells(item: Mapping[str, Any]) -> list[str]:
    """One answering variant's row, in :data:`VARIANT_COLUMNS` order."""
    return [
        str(item.get("name", "-")),
        str(item.get("ref", "-")),
        figure(item.get("version"), "d"),
        _percent(item.get("weight")),
        figure(item.get("requests"), "d"),
        errors(item),
        figure(item.get("p50_ms"), ".2f"),
        figure(item.get("p99_ms"), ".2f"),
        figure(item.get("agreement"), ".1%"),
        reward(item),
        f"{item.get('rewards') or 0} ({item.get('labelled') or 0} labels)",
    ]


def shadow_cells(item: Mapping[str, Any]) -> list[str]:
    """One shadow's row, in :data:`SHADOW_COLUMNS` order."""
    return [
        str(item.get("ref", "-")),
        figure(item.get("version"), "d"),
        _percent(item.get("percent")),
        figure(item.get("mirrored"), "d"),
        figure(item.get("dropped"), "d"),
        figure(item.get("errors"), "d"),
        figure(item.get("agreement"), ".1%"),
        figure(item.get("mean_abs_diff"), ".4g"),
        figure(item.get("max_abs_diff"), ".4g"),
        figure(item.get("p50_ms"), ".2f"),
        figure(item.get("p99_ms"), ".2f"),
    ]


def verdict_lines(found: Mapping[str, Any]) -> list[str]:
    """The A/B verdict so far: the challenger against the control, the best so far, and the
    split's check."""
    metric, control = found.get("metric"), found.get("control")
    challenger = found.get("challenger")
    difference, p_value = found.get("difference"), found.get("p_value")
    if difference is None or p_value is None:
        lines = [f"verdict on {metric}: not enough feedback yet to compare the variants"]
    else:
        lines = [
            f"verdict on {metric}: {challenger} vs {control}: difference {difference:+.4f}, "
            f"p = {p_value:.3g} ({found.get('test')}); best so far: {found.get('best')}"
        ]
    srm = found.get("srm_p_value")
    if srm is not None:
        if found.get("srm_mismatch"):
            lines.append(
                f"sample ratio mismatch: p = {srm:.3g}, the split differs from the weights"
            )
        else:
            lines.append(f"sample ratio: p = {srm:.3g}, the split matches the weights")
    lines += [f"note: {note}" for note in found.get("notes") or ()]
    return lines


def transition(event: Mapping[str, Any]) -> str:
    """One history event's move: ``from → to`` and the step, if any."""
    step = "" if event.get("step") is None else f" (step {event['step']})"
    return f"{event.get('from') or '-'} → {event.get('to')}{step}"


def history_line(event: Mapping[str, Any]) -> str:
    """One transition: when, who, what, from which state to which, at which step, why."""
    return (
        f"{when(event.get('at'))}  {event.get('actor')}  {event.get('action')}: "
        f"{transition(event)}  {event.get('reason')}"
    )


def headline(document: Mapping[str, Any]) -> str:
    """The rollout in one line: endpoint, strategy, state and step, when it started and
    last changed."""
    step = "" if document.get("step") is None else f", step {document['step']}"
    return (
        f"rollout of {document.get('endpoint')!r}: {document.get('strategy')}, "
        f"{document.get('state')}{step}; started {when(document.get('started_at'))}, "
        f"updated {when(document.get('updated_at'))}"
    )
