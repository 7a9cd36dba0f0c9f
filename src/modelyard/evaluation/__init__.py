"""Evaluation of the production format, and gated promotion.

``evaluate`` runs data through a version's own serving pipeline and measures it with
``sklearn.metrics``; ``promote`` moves an alias only when every declared gate passes.
"""

from modelyard.evaluation.evaluator import evaluate
from modelyard.evaluation.gates import Gate, load_gates, parse_gates
from modelyard.evaluation.promotion import GatesRefusedError, Promotion, promote
from modelyard.evaluation.result import EvaluationResult
from modelyard.evaluation.verdicts import GateVerdict

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
