"""Judge an evaluation against its gates: one verdict per gate, each with value and threshold.

Every gate is judged (never stopping at the first failure), so a refusal shows the whole
picture: what passed, what failed, by how much.
"""

from __future__ import annotations

from pydantic import BaseModel

from modelyard.evaluation.gates import Gate, MetricGate, MinRowsGate, NotMajorityGate
from modelyard.evaluation.metrics import metric_direction
from modelyard.evaluation.names import MetricName
from modelyard.evaluation.result import EvaluationResult

#: Slack for float comparisons, so 0.8 passes ``min: 0.8`` after float round-off.
_EPS = 1e-12


class GateVerdict(BaseModel):
    """One gate judged: what it checks, the value found, the threshold, and pass or fail."""

    gate: str
    value: str
    threshold: str
    passed: bool


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"


def _threshold(gate: MetricGate, metric: MetricName, result: EvaluationResult) -> GateVerdict:
    value = result.value(metric)
    if gate.on != "value":
        interval = result.intervals.get(metric.base)
        value = (
            None
            if interval is None
            else (interval.low if gate.on == "lower_bound" else interval.high)
        )
    passed = value is not None
    limits = []
    if gate.min is not None:
        passed = passed and value is not None and value >= gate.min - _EPS
        limits.append(f"≥ {gate.min:g}")
    if gate.max is not None:
        passed = passed and value is not None and value <= gate.max + _EPS
        limits.append(f"≤ {gate.max:g}")
    return GateVerdict(
        gate=gate.describe(), value=_fmt(value), threshold=" and ".join(limits), passed=passed
    )


def _champion(
    gate: MetricGate,
    metric: MetricName,
    result: EvaluationResult,
    champion: EvaluationResult | None,
) -> GateVerdict:
    assert gate.max_drop_vs_champion is not None
    threshold = f"drop ≤ {gate.max_drop_vs_champion:g}"
    value = result.value(metric)
    if champion is None:
        return GateVerdict(
            gate=gate.describe(),
            value=f"{_fmt(value)} (no champion yet)",
            threshold=threshold,
            passed=True,
        )
    if champion.version == result.version:
        return GateVerdict(
            gate=gate.describe(),
            value=f"{_fmt(value)} (is the champion)",
            threshold=threshold,
            passed=True,
        )
    theirs = champion.value(str(metric))
    shown = f"{_fmt(value)} vs {_fmt(theirs)} (v{champion.version})"
    if value is None or theirs is None:
        return GateVerdict(gate=gate.describe(), value=shown, threshold=threshold, passed=False)
    drop = theirs - value if metric_direction(metric.base) else value - theirs
    return GateVerdict(
        gate=gate.describe(),
        value=shown,
        threshold=threshold,
        passed=drop <= gate.max_drop_vs_champion + _EPS,
    )


def _not_majority(result: EvaluationResult) -> GateVerdict:
    ours = result.metrics.get("balanced_accuracy")
    majority = result.baseline.get("balanced_accuracy")
    predicted = result.predicted_classes or 0
    beats = ours is not None and majority is not None and ours > majority + _EPS
    return GateVerdict(
        gate="not_majority",
        value=f"{predicted} classes predicted; balanced accuracy {_fmt(ours)}",
        threshold=f"≥ 2 classes; > majority {_fmt(majority)}",
        passed=predicted >= 2 and beats,
    )


def judge(
    gates: list[Gate],
    metrics: dict[int, MetricName],
    result: EvaluationResult,
    champion: EvaluationResult | None = None,
) -> list[GateVerdict]:
    """A verdict for every gate; ``metrics`` is :func:`~.gates.resolve_gates`' answer."""
    verdicts: list[GateVerdict] = []
    for i, gate in enumerate(gates):
        if isinstance(gate, MinRowsGate):
            verdicts.append(
                GateVerdict(
                    gate="min_rows",
                    value=str(result.rows),
                    threshold=f"≥ {gate.min_rows}",
                    passed=result.rows >= gate.min_rows,
                )
            )
        elif isinstance(gate, NotMajorityGate):
            verdicts.append(_not_majority(result))
        elif gate.max_drop_vs_champion is not None:
            verdicts.append(_champion(gate, metrics[i], result, champion))
        else:
            verdicts.append(_threshold(gate, metrics[i], result))
    return verdicts
