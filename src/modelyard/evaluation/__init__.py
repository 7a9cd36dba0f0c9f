"""Evaluation of the production format, and gated promotion.

``evaluate`` runs data through a version's own serving pipeline and measures it with
``sklearn.metrics``; ``promote`` moves an alias only when every declared gate passes.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelyard.evaluation.evaluator import evaluate
    from modelyard.evaluation.gates import Gate, load_gates, parse_gates
    from modelyard.evaluation.promotion import GatesRefusedError, Promotion, promote
    from modelyard.evaluation.result import EvaluationResult
    from modelyard.evaluation.verdicts import GateVerdict

_HOMES = {
    "evaluate": "evaluator",
    "Gate": "gates",
    "load_gates": "gates",
    "parse_gates": "gates",
    "GatesRefusedError": "promotion",
    "Promotion": "promotion",
    "promote": "promotion",
    "EvaluationResult": "result",
    "GateVerdict": "verdicts",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use: scikit-learn and scipy load only when an
    evaluation runs, so the server can draw charts with :mod:`.svg` without them."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)


__all__ = [
    "EvaluationResult",
    "Gate",
    "GateVerdict",
    "GatesRefusedError",
    "Promotion",
    "evaluate",
    "load_gates",
    "parse_gates",
    "promote",
]
