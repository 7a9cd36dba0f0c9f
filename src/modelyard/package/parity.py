"""Parity: proof that the packaged model predicts what the original predicts.

The packaged file is what serves, so it is reopened from disk and run next to the original
on the same rows. Classifiers must give identical labels and probabilities within
``tolerance`` (absolute). Regressors must agree within ``tolerance`` relative *and* absolute,
``|got - expected| <= tolerance * (1 + |expected|)`` (numpy's ``isclose`` with
``rtol = atol = tolerance``), because their outputs have no fixed scale. A model that is not an
estimator but runs in memory (a TorchScript module) is compared output by output with the
regressors' rule, and a classifier's most probable classes must also be equal. A miss is an
error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from modelyard.core.errors import ParityError
from modelyard.package.manifest import Parity
from modelyard.package.signature import to_feeds

if TYPE_CHECKING:
    from modelyard.package.formats.base import Session
    from modelyard.package.loader import LoadedModel

_SHOWN = 5


def _classification(
    original: Any, packaged: LoadedModel, X: Any, tolerance: float
) -> tuple[Parity, list[str]]:
    signature = packaged.manifest.signature
    expected = np.asarray(original.predict(X), dtype=object)
    got = np.asarray(packaged.predict(X), dtype=object)
    label_misses = expected != got
    problems = {int(i): f"label {got[i]} vs {expected[i]}" for i in np.flatnonzero(label_misses)}
    compared = [signature.label_output or "label"]
    max_diff = 0.0
    if signature.probability_output is not None:
        diff = np.abs(packaged.predict_proba(X) - original.predict_proba(X)).max(axis=1)
        max_diff = float(diff.max())
        compared.append(signature.probability_output)
        for i in np.flatnonzero(diff > tolerance):
            problems.setdefault(int(i), f"probability off by {diff[i]:.3g}")
    parity = Parity(
        rows=len(expected),
        labels_equal=not label_misses.any(),
        max_abs_diff=max_diff,
        tolerance=tolerance,
        compared=compared,
    )
    return parity, [f"row {i} {problems[i]}" for i in sorted(problems)]


def _regression(
    original: Any, packaged: LoadedModel, X: Any, tolerance: float
) -> tuple[Parity, list[str]]:
    expected = np.asarray(original.predict(X), dtype=np.float64).reshape(-1)
    got = np.asarray(packaged.predict(X), dtype=np.float64).reshape(-1)
    diff = np.abs(got - expected)
    misses = np.flatnonzero(diff > tolerance * (1 + np.abs(expected)))
    parity = Parity(
        rows=len(expected),
        max_abs_diff=float(diff.max()),
        tolerance=tolerance,
        compared=[packaged.manifest.signature.value_output or "value"],
    )
    return parity, [f"row {i} value {got[i]:.6g} vs {expected[i]:.6g}" for i in misses]


_BY_TASK = {"classification": _classification, "regression": _regression}


def _refuse(packaged: LoadedModel, parity: Parity, misses: list[str], hint: str) -> None:
    if misses:
        shown = ", ".join(misses[:_SHOWN]) + (", …" if len(misses) > _SHOWN else "")
        raise ParityError(
            f"{packaged.manifest.format} model does not match the original on {len(misses)} "
            f"of {parity.rows} rows: {shown} (expected equal labels and differences within "
            f"tolerance {parity.tolerance:g}; {hint})"
        )


def prove_parity(original: Any, packaged: LoadedModel, X: Any, tolerance: float) -> Parity:
    """Compare ``packaged`` with ``original`` on every row of ``X``; raise on any miss.

    Rows are numbered by position in ``X``; the error names the first few.
    """
    compare = _BY_TASK[packaged.manifest.signature.task]
    parity, misses = compare(original, packaged, X, tolerance)
    _refuse(packaged, parity, misses, "pass a larger tolerance or format='sklearn'")
    return parity


def prove_output_parity(
    original: Session, packaged: LoadedModel, X: Any, tolerance: float
) -> Parity:
    """Compare every output of ``packaged`` with ``original`` on the same feeds of ``X``."""
    signature = packaged.manifest.signature
    feeds = to_feeds(signature, X)
    expected, got = original.run(feeds), packaged.run(feeds)
    rows = len(next(iter(feeds.values())))
    problems: dict[int, str] = {}
    max_diff = 0.0
    for name, wanted in expected.items():
        e = wanted.astype(np.float64).reshape(rows, -1)
        diff = np.abs(got[name].astype(np.float64).reshape(rows, -1) - e)
        max_diff = max(max_diff, float(diff.max()))
        for i in np.flatnonzero((diff > tolerance * (1 + np.abs(e))).any(axis=1)):
            problems.setdefault(int(i), f"{name} off by {diff[i].max():.3g}")
    labels_equal = None
    if signature.task == "classification" and signature.probability_output is not None:
        name = signature.probability_output
        changed = expected[name].argmax(axis=1) != got[name].argmax(axis=1)
        labels_equal = not changed.any()
        for i in np.flatnonzero(changed):
            problems[int(i)] = "most probable class differs"
    parity = Parity(
        rows=rows,
        labels_equal=labels_equal,
        max_abs_diff=max_diff,
        tolerance=tolerance,
        compared=list(expected),
    )
    misses = [f"row {i} {problems[i]}" for i in sorted(problems)]
    _refuse(packaged, parity, misses, "pass a larger tolerance")
    return parity
