"""Rich renderings of a rollout's status document (the dict ``modelyard rollout status --json``
prints), whether the server or the registry database produced it.

The text of every cell and line comes from :mod:`modelyard.routing.status_text`, which the
dashboard shows too; this module only lays it out as rich tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from modelyard.routing import status_text


def _table(
    title: str,
    columns: Sequence[str],
    items: Sequence[Mapping[str, Any]],
    cells: Callable[[Mapping[str, Any]], list[str]],
) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for item in items:
        table.add_row(*(escape(cell) for cell in cells(item)))
    return table


def variants(title: str, items: Sequence[Mapping[str, Any]]) -> Table:
    """One row per answering variant: share, traffic, errors, latency, agreement, rewards."""
    return _table(title, status_text.VARIANT_COLUMNS, items, status_text.variant_cells)


def shadows(items: Sequence[Mapping[str, Any]]) -> Table:
    """One row per shadow: copies mirrored, dropped, failed, and how their answers agreed."""
    return _table("shadows", status_text.SHADOW_COLUMNS, items, status_text.shadow_cells)


def verdict(found: Mapping[str, Any]) -> list[Text]:
    """The A/B verdict so far: the challenger against the control, the best so far, and the
    split's check."""
    return [Text(line) for line in status_text.verdict_lines(found)]


def history_line(event: Mapping[str, Any]) -> Text:
    """One transition: when, who, what, from which state to which, at which step, why."""
    return Text(status_text.history_line(event))


def status(document: Mapping[str, Any]) -> list[RenderableType]:
    """The whole status: headline, variants (and the current step's), shadows, verdict,
    the latest history lines."""
    parts: list[RenderableType] = [
        Text(status_text.headline(document)),
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
        parts += [history_line(event) for event in history[-status_text.HISTORY_LINES :]]
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
