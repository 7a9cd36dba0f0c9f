"""The JSON report: the whole evaluation, plus the gates and the alias move of a promotion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelyard.evaluation.promotion import Promotion
from modelyard.evaluation.result import EvaluationResult


def json_document(result: EvaluationResult, promotion: Promotion | None = None) -> dict[str, Any]:
    """Plain JSON values: ``evaluation`` always, ``promotion`` (verdicts, move) when promoting."""
    document: dict[str, Any] = {"evaluation": result.model_dump(mode="json")}
    if promotion is not None:
        event = promotion.event
        document["promotion"] = {
            "alias": f"{promotion.name}@{promotion.alias}",
            "version": promotion.version,
            "passed": promotion.passed,
            "moved": event is not None,
            "forced": promotion.forced,
            "from_version": None if event is None else event.from_version,
            "reason": None if event is None else event.reason,
            "champion_version": None if promotion.champion is None else promotion.champion.version,
            "gates": [verdict.model_dump() for verdict in promotion.verdicts],
        }
    return document


def write_json(
    path: str | Path, result: EvaluationResult, promotion: Promotion | None = None
) -> Path:
    """Write the JSON report to ``path`` (UTF-8, indented) and return the path."""
    target = Path(path)
    target.write_text(json.dumps(json_document(result, promotion), indent=2), encoding="utf-8")
    return target
