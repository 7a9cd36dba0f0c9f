"""Promotion gates: the declared checks a version must pass before an alias may point at it.

A gates file is YAML::

    gates:
      - {metric: f1_macro, min: 0.80}
      - {metric: "precision[malignant]", min: 0.80}
      - {metric: balanced_accuracy, min: 0.70, on: lower_bound}
      - {metric: f1_macro, max_drop_vs_champion: 0.01}
      - not_majority: true
      - min_rows: 100

Gates are read and their metric and class names resolved before anything is evaluated, so a
typo costs a second, not a bootstrap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from modelyard.core.config import line_of, load_yaml, validate_node
from modelyard.core.errors import ConfigError
from modelyard.evaluation.names import MetricName, MetricNames

Bound = Literal["value", "lower_bound", "upper_bound"]


class _Gate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricGate(_Gate):
    """A threshold on a metric (``min``/``max``), or a largest drop against the champion."""

    metric: str
    min: float | None = None
    max: float | None = None
    max_drop_vs_champion: float | None = Field(default=None, ge=0)
    on: Bound = "value"

    @model_validator(mode="after")
    def _one_kind(self) -> MetricGate:
        threshold = self.min is not None or self.max is not None
        champion = self.max_drop_vs_champion is not None
        if threshold == champion:
            raise ValueError("give 'min' and/or 'max', or 'max_drop_vs_champion' (one kind)")
        if champion and self.on != "value":
            raise ValueError("'on' applies to min/max thresholds, not to the champion comparison")
        return self

    def describe(self) -> str:
        where = "" if self.on == "value" else f" ({self.on.replace('_', ' ')})"
        if self.max_drop_vs_champion is not None:
            return f"{self.metric} vs champion"
        return f"{self.metric}{where}"


class NotMajorityGate(_Gate):
    """Predicts at least two classes and beats the majority baseline on balanced accuracy."""

    not_majority: Literal[True]

    def describe(self) -> str:
        return "not_majority"


class MinRowsGate(_Gate):
    """The evaluation data holds at least this many rows."""

    min_rows: int = Field(ge=1)

    def describe(self) -> str:
        return "min_rows"


Gate = MetricGate | NotMajorityGate | MinRowsGate

_KINDS: dict[str, type[_Gate]] = {
    "metric": MetricGate,
    "not_majority": NotMajorityGate,
    "min_rows": MinRowsGate,
}


def _yaml11_keys(item: Any) -> Any:
    """Undo YAML 1.1 reading the key ``on`` (as in ``on: lower_bound``) as the boolean true."""
    if isinstance(item, dict) and True in item and "metric" in item:
        return {("on" if key is True else key): value for key, value in item.items()}
    return item


def parse_gates(data: Any, *, source: str = "gates", root: yaml.Node | None = None) -> list[Gate]:
    """Validate plain data (``{"gates": [...]}``) as a list of gates, errors naming the line."""
    if not isinstance(data, dict) or not isinstance(data.get("gates"), list):
        raise ConfigError(f"{source}: expected a mapping with a 'gates' list")
    items = data["gates"]
    if not items:
        raise ConfigError(f"{source}: 'gates' is empty; declare at least one gate")
    extra = sorted(set(data) - {"gates"})
    if extra:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(extra)}; expected only 'gates'")
    gates: list[Gate] = []
    for i, raw in enumerate(items):
        item = _yaml11_keys(raw)
        kind = next((k for k in _KINDS if isinstance(item, dict) and k in item), None)
        if kind is None:
            line = line_of(root, ("gates", i))
            where = f"{source}:{line}" if line is not None else source
            raise ConfigError(
                f"{where}: gates.{i}: expected a gate with one of "
                f"{', '.join(repr(k) for k in _KINDS)}, got {item!r}"
            )
        gate = validate_node(_KINDS[kind], item, source=source, root=root, loc=("gates", i))
        gates.append(gate)  # type: ignore[arg-type]
    return gates


def load_gates(path: str | Path) -> list[Gate]:
    """Read a gates YAML file; a schema error names the file and line."""
    data, root = load_yaml(path)
    return parse_gates(data, source=str(path), root=root)


def resolve_gates(
    gates: list[Gate], names: MetricNames, *, task: str, intervals: bool
) -> dict[int, MetricName]:
    """Check every name a gate uses against ``names``; map each metric gate to its metric.

    ``intervals`` says whether bootstrap intervals will exist (``on: lower_bound`` needs them,
    and only headline metrics have them).
    """
    resolved: dict[int, MetricName] = {}
    for i, gate in enumerate(gates):
        if isinstance(gate, NotMajorityGate) and task != "classification":
            raise ConfigError(f"gate not_majority applies to classification, not to {task}")
        if not isinstance(gate, MetricGate):
            continue
        metric = names.resolve(gate.metric)
        if gate.on != "value" and (metric.cls is not None or not intervals):
            raise ConfigError(
                f"gate on {gate.metric} {gate.on}: only headline metrics have bootstrap "
                "intervals, and only with bootstrap > 0 "
                f"(headline metrics: {', '.join(names.headline)})"
            )
        resolved[i] = metric
    return resolved
