"""Stored evaluation results, so a version is not re-scored on data it was already scored on.

Results are appended, never overwritten: re-running an evaluation adds a row, and lookups
return the newest, so earlier results stay available for audit.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from modelyard.core.errors import ConfigError
from modelyard.registry.schema import EvaluationRow, utcnow


def encode(name: str, version: int, result: dict[str, Any]) -> str:
    """``result`` as JSON text, or a :class:`ConfigError` naming what cannot be stored."""
    try:
        return json.dumps(result, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"evaluation result of {name}:{version} cannot be stored: {error}; "
            "expected plain JSON values (numbers, strings, lists, dicts)"
        ) from None


def save(session: Session, name: str, version: int, dataset_sha256: str, result_json: str) -> None:
    """Record a result for ``name:version`` on the dataset with fingerprint ``dataset_sha256``."""
    session.add(
        EvaluationRow(
            name=name,
            version=version,
            dataset_sha256=dataset_sha256,
            created_at=utcnow(),
            result_json=result_json,
        )
    )


def newest_per_dataset(session: Session, name: str, version: int) -> list[dict[str, Any]]:
    """The newest result of ``name:version`` on each dataset it met, newest first."""
    rows = session.execute(
        select(EvaluationRow.dataset_sha256, EvaluationRow.result_json)
        .where(EvaluationRow.name == name, EvaluationRow.version == version)
        .order_by(EvaluationRow.id.desc())
    ).all()
    seen: set[str] = set()
    results: list[dict[str, Any]] = []
    for dataset, text in rows:
        if dataset not in seen:
            seen.add(dataset)
            results.append(json.loads(text))
    return results


def find(session: Session, name: str, version: int, dataset_sha256: str) -> dict[str, Any] | None:
    """The newest result for ``name:version`` on that dataset, or ``None``."""
    text = session.scalars(
        select(EvaluationRow.result_json)
        .where(
            EvaluationRow.name == name,
            EvaluationRow.version == version,
            EvaluationRow.dataset_sha256 == dataset_sha256,
        )
        .order_by(EvaluationRow.id.desc())
        .limit(1)
    ).first()
    if text is None:
        return None
    result: dict[str, Any] = json.loads(text)
    return result
