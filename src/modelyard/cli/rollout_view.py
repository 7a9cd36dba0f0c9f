"""Rich renderings of a rollout's status document (the dict ``modelyard rollout status --json``
prints), whether the server or the registry database produced it.

Every figure may be missing (no traffic or no feedback yet): it shows as ``-``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

HISTORY_LINES = 5
"""How many of the latest history lines ``status`` shows (``--json`` has them all)."""


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "-" if value is None else str(value)[:19].replace("T", " ")


def _figure(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _reward(item: Mapping[str, Any]) -> str:
    mean, interval = item.get("reward_mean"), item.get("reward_ci")
    if mean is None:
        return "-"
    if not interval:
        return f"{mean:.3f}"
    low, high = interval
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def _errors(item: Mapping[str, Any]) -> str:
    errors, rate = item.get("errors"), item.get("error_rate")
    if errors is None:
        return "-"
    return f"{errors}" if rate is None else f"{errors} ({rate:.2%})"


def variants(title: str, items: Sequence[Mapping[str, Any]]) -> Table:
    """One row per answering variant: share, traffic, errors, latency, agreement, rewards."""
    table = Table(title=title, title_justify="left")
    columns = ("variant", "ref", "version", "weight", "requests", "errors", "p50 ms", "p99 ms")
    for column in (*columns, "agreement", "reward [95% CI]", "feedback"):
        table.add_column(column)
    for item in items:
        table.add_row(
            escape(str(item.get("name", "-"))),
            escape(str(item.get("ref", "-"))),
            _figure(item.get("version"), "d"),
            _figure(item.get("weight"), "g") + ("%" if item.get("weight") is not None else ""),
            _figure(item.get("requests"), "d"),
            _errors(item),
            _figure(item.get("p50_ms"), ".2f"),
            _figure(item.get("p99_ms"), ".2f"),
            _figure(item.get("agreement"), ".1%"),
            _reward(item),
            f"{item.get('rewards') or 0} ({item.get('labelled') or 0} labels)",
        )
    return table


def shadows(items: Sequence[Mapping[str, Any]]) -> Table:
    """One row per shadow: copies mirrored, dropped, failed, and how their answers agreed."""
    table = Table(title="shadows", title_justify="left")
    columns = ("ref", "version", "percent", "mirrored", "dropped", "errors", "agreement")
    for column in (*columns, "mean |Δ|", "max |Δ|", "p50 ms", "p99 ms"):
        table.add_column(column)
    for item in items:
        table.add_row(
            escape(str(item.get("ref", "-"))),
            _figure(item.get("version"), "d"),
            _figure(item.get("percent"), "g") + ("%" if item.get("percent") is not None else ""),
            _figure(item.get("mirrored"), "d"),
            _figure(item.get("dropped"), "d"),
            _figure(item.get("errors"), "d"),
            _figure(item.get("agreement"), ".1%"),
            _figure(item.get("mean_abs_diff"), ".4g"),
            _figure(item.get("max_abs_diff"), ".4g"),
            _figure(item.get("p50_ms"), ".2f"),
            _figure(item.get("p99_ms"), ".2f"),
        )
    return table


def verdict(found: Mapping[str, Any]) -> list[Text]:
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
    return [Text(line) for line in lines]


def history_line(event: Mapping[str, Any]) -> Text:
    """One transition: when, who, what, from which state to which, at which step, why."""
    step = "" if event.get("step") is None else f" (step {event['step']})"
    moved = f"{event.get('from') or '-'} → {event.get('to')}{step}"
    return Text(
        f"{_when(event.get('at'))}  {event.get('actor')}  {event.get('action')}: {moved}  "
        f"{event.get('reason')}"
    )


def status(document: Mapping[str, Any]) -> list[RenderableType]:
    """The whole status: headline, variants (and the current step's), shadows, verdict,
    the latest history lines."""
    step = "" if document.get("step") is None else f", step {document['step']}"
    parts: list[RenderableType] = [
        Text(
            f"rollout of {document.get('endpoint')!r}: {document.get('strategy')}, "
            f"{document.get('state')}{step}; started {_when(document.get('started_at'))}, "
            f"updated {_when(document.get('updated_at'))}"
        ),
        variants("variants", document.get("variants") or ()),
    ]
    if document.get("step") is not None and document.get("step_variants"):
        parts.append(variants(f"step {document['step']}", document["step_variants"]))
    if document.get("shadows"):
        parts.append(shadows(document["shadows"]))
    if document.get("verdict"):
        parts += verdict(document["verdict"])
    history = document.get("history") or ()
    if history:
        parts.append(Text("history:"))
        parts += [history_line(event) for event in history[-HISTORY_LINES:]]
    return parts


def acted(document: Mapping[str, Any]) -> list[RenderableType]:
    """After an action: the rollout's state now, and the history line the action added."""
    parts: list[RenderableType] = [
        Text(f"rollout of {document.get('endpoint')!r}: {document.get('state')}")
    ]
    history = document.get("history") or ()
    if history:
        parts.append(history_line(history[-1]))
    return parts
