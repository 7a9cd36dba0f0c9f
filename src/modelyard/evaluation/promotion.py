"""Gated promotion: evaluate a version, judge every gate, and move the alias only if all pass.

The move goes through the registry's ``set_alias`` with a ``check`` that refuses when a gate
failed, so the audit log holds every move and a refused one leaves the alias where it was.
``force`` (with a reason) overrides a refusal; the audit row is then marked forced and its
reason names the gates that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from modelyard.core.errors import ConfigError, GateFailedError
from modelyard.core.refs import check_name
from modelyard.evaluation.assess import Settings
from modelyard.evaluation.evaluator import (
    compare,
    evaluate_version,
    metric_names,
    read_data,
    target_of,
)
from modelyard.evaluation.gates import Gate, MetricGate, load_gates, parse_gates, resolve_gates
from modelyard.evaluation.metrics import CLASSIFICATION, REGRESSION
from modelyard.evaluation.names import MetricName, MetricNames
from modelyard.evaluation.result import EvaluationResult
from modelyard.evaluation.verdicts import GateVerdict, judge
from modelyard.registry import AliasEvent, ModelVersion, Registry


@dataclass(frozen=True)
class Promotion:
    """What a promotion found and did: the evaluation, every verdict, and the alias move."""

    name: str
    version: int
    alias: str
    result: EvaluationResult
    verdicts: list[GateVerdict]
    champion: EvaluationResult | None = None
    event: AliasEvent | None = None
    forced: bool = False

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def failed(self) -> list[GateVerdict]:
        return [v for v in self.verdicts if not v.passed]


class GatesRefusedError(GateFailedError):
    """A promotion refused because gates failed; ``promotion`` holds every verdict."""

    def __init__(self, promotion: Promotion) -> None:
        self.promotion = promotion
        failed = ", ".join(f"{v.gate} ({v.value}; needs {v.threshold})" for v in promotion.failed)
        super().__init__(
            f"{promotion.name}:{promotion.version} not promoted to @{promotion.alias}: "
            f"{len(promotion.failed)} of {len(promotion.verdicts)} gates failed: {failed}"
        )


def as_gates(gates: str | Path | Sequence[Gate] | dict[str, Any]) -> list[Gate]:
    """Gates from a YAML path, a ``{"gates": [...]}`` mapping, or gate objects."""
    if isinstance(gates, str | Path):
        return load_gates(gates)
    if isinstance(gates, dict):
        return parse_gates(gates)
    return list(gates)


def _resolve(
    gates: list[Gate], version: ModelVersion, store: Registry, bootstrap: int
) -> dict[int, MetricName]:
    """Every gate's names checked against what evaluating ``version`` will produce."""
    return resolve_gates(
        gates,
        metric_names(version, store),
        task=version.manifest.signature.task,
        intervals=bootstrap > 0,
    )


def check_gates(
    gates: str | Path | Sequence[Gate] | dict[str, Any],
    ref: str | None = None,
    *,
    registry: Registry | None = None,
    bootstrap: int = 1000,
) -> list[Gate]:
    """Validate gates, and with ``ref`` their metric and class names against that version.

    Without a model, metric names are checked against every metric modelyard computes and
    any class name is accepted. What CI runs before spending a bootstrap on a gates file.
    """
    gate_list = as_gates(gates)
    if ref is None:
        every = [m.name for m in CLASSIFICATION + REGRESSION]
        for gate in gate_list:
            if isinstance(gate, MetricGate):
                MetricNames(every, None).resolve(gate.metric)
        return gate_list
    store = registry or Registry(create=False)
    version = store.get(ref)
    _resolve(gate_list, version, store, bootstrap)
    return gate_list


def _champion(
    store: Registry, version: ModelVersion, alias: str, gates: list[Gate]
) -> ModelVersion | None:
    """The version ``alias`` points to now, when a gate compares against it (possibly
    ``version`` itself, whose stored evaluation is then simply reused)."""
    if not any(isinstance(g, MetricGate) and g.max_drop_vs_champion is not None for g in gates):
        return None
    current = store.aliases(version.name).get(alias)
    return None if current is None else store.get(f"{version.name}:{current}")


def _reason(promotion: Promotion, reason: str | None) -> str:
    if promotion.passed:
        return (
            reason
            or f"{len(promotion.verdicts)} gates passed on data "
            + (promotion.result.dataset_sha256[:12])
        )
    failed = ", ".join(v.gate for v in promotion.failed)
    return f"{reason} (forced past failed gates: {failed})"


def promote(
    ref: str,
    to: str,
    data: Any,
    target: str | None,
    gates: str | Path | Sequence[Gate] | dict[str, Any],
    *,
    registry: Registry | None = None,
    force: bool = False,
    reason: str | None = None,
    slices: Sequence[str] | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    on_resample: Callable[[], None] | None = None,
) -> Promotion:
    """Evaluate ``ref`` on ``data``, judge ``gates``, and point ``name@to`` at it if all pass.

    ``target`` may be ``None``: the label column the version was trained with is used.
    Raises :class:`GatesRefusedError` (a ``GateFailedError``, holding every verdict) when a
    gate fails and ``force`` is not set. ``force`` needs a ``reason``; the alias move is then
    recorded as forced. Gate names are checked before anything is evaluated.
    """
    if force and not (reason and reason.strip()):
        raise ConfigError("--force needs --reason: say why the gates are overridden")
    check_name(to, "alias name")
    store = registry or Registry(create=False)
    version = store.get(ref)
    gate_list = as_gates(gates)
    resolved = _resolve(gate_list, version, store, bootstrap)
    column = target_of(version, target)
    table = read_data(data, column, version)
    settings = Settings(column, tuple(slices or ()), bootstrap, seed)
    result = evaluate_version(version, table, settings, store, on_resample=on_resample)
    champion_version = _champion(store, version, to, gate_list)
    champion = None
    if champion_version is not None:
        champion = evaluate_version(champion_version, table, settings, store)
        result = result.model_copy(
            update={"comparison": compare(result, champion, f"{version.name}@{to}")}
        )
    promotion = Promotion(
        version.name,
        version.version,
        to,
        result,
        judge(gate_list, resolved, result, champion),
        champion,
    )

    def refuse_if_failed(_: ModelVersion) -> None:
        if not promotion.passed:
            raise GatesRefusedError(promotion)

    forced = force and not promotion.passed
    event = store.set_alias(
        version.name,
        to,
        version.version,
        reason=_reason(promotion, reason),
        check=refuse_if_failed,
        forced=forced,
    )
    return replace(promotion, event=event, forced=forced)
