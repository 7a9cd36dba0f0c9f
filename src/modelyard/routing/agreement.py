"""How far two models' answers to the same request agree: labels for classifiers, absolute
differences of scores and values otherwise.

This runs off the request path on the answers of two possibly different models (a shadow, a
canary's candidate), so answers that cannot be compared (other row counts, other shapes,
other kinds of output) count as a comparison of nothing rather than an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from numbers import Real
from typing import Any

import numpy as np

from modelyard.registry.rollout_types import ArmCounters


class _Mismatch(Exception):
    """The answers differ in form: nothing can be compared."""


class _Tally:
    def __init__(self) -> None:
        self.labels_compared = 0
        self.labels_agreed = 0
        self.values_compared = 0
        self.absdiff_sum = 0.0
        self.absdiff_max = 0.0

    def labels(self, agreed: np.ndarray) -> None:
        """One comparison per row; ``agreed`` says for each row whether its labels match."""
        self.labels_compared += len(agreed)
        self.labels_agreed += int(agreed.sum())

    def values(self, absdiffs: np.ndarray) -> None:
        finite = absdiffs[np.isfinite(absdiffs)]
        if finite.size:
            self.values_compared += int(finite.size)
            self.absdiff_sum += float(finite.sum())
            self.absdiff_max = max(self.absdiff_max, float(finite.max()))

    def counters(self) -> ArmCounters:
        return ArmCounters(
            labels_compared=self.labels_compared,
            labels_agreed=self.labels_agreed,
            values_compared=self.values_compared,
            absdiff_sum=self.absdiff_sum,
            absdiff_max=self.absdiff_max,
        )


def compare(primary: Any, other: Any) -> ArmCounters:
    """The comparison fields of :class:`ArmCounters` for two answers to the same request.

    Answers are the native formatter's rows (a list of dicts: classification ``{"label",
    "score", ...}``, regression ``{"value": ...}``, raw ``{name: value}``) or V2 raw outputs
    (a dict of arrays, one row per instance).
    """
    tally = _Tally()
    try:
        if isinstance(primary, list) and isinstance(other, list):
            _rows(primary, other, tally)
        elif isinstance(primary, dict) and isinstance(other, dict):
            _arrays(primary, other, tally)
        else:
            raise _Mismatch
    except (_Mismatch, ValueError, TypeError):
        # numpy refuses arrays of uneven or mixed form with these: nothing to compare either.
        return ArmCounters()
    return tally.counters()


def _rows(primary: list[Any], other: list[Any], tally: _Tally) -> None:
    if len(primary) != len(other):
        raise _Mismatch
    for mine, theirs in zip(primary, other, strict=True):
        if not (isinstance(mine, dict) and isinstance(theirs, dict)):
            raise _Mismatch
        if "label" in mine and "label" in theirs:
            tally.labels(np.array([mine["label"] == theirs["label"]]))
            if "score" in mine and "score" in theirs:
                _numbers(mine["score"], theirs["score"], tally)
            continue
        shared = mine.keys() & theirs.keys()
        if not shared:
            raise _Mismatch
        for key in shared:
            _numbers(mine[key], theirs[key], tally)


def _numbers(mine: Any, theirs: Any, tally: _Tally) -> None:
    """Absolute differences of every number in two values of the same shape."""
    left, right = list(_leaves(mine)), list(_leaves(theirs))
    if len(left) != len(right):
        raise _Mismatch
    numbers = [(_number(a), _number(b)) for a, b in zip(left, right, strict=True)]
    pairs = [pair for pair in numbers if None not in pair]
    if pairs:
        array = np.array(pairs, dtype=float)
        tally.values(np.abs(array[:, 0] - array[:, 1]))


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` for anything else (labels, null, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _arrays(primary: dict[str, Any], other: dict[str, Any], tally: _Tally) -> None:
    shared = primary.keys() & other.keys()
    if not shared:
        raise _Mismatch
    for name in sorted(shared):
        mine, theirs = np.asarray(primary[name]), np.asarray(other[name])
        if mine.shape != theirs.shape or mine.ndim == 0:
            raise _Mismatch
        kinds = mine.dtype.kind + theirs.dtype.kind
        if "f" in kinds:
            if any(kind not in "iuf" for kind in kinds):
                raise _Mismatch
            tally.values(np.abs(mine.astype(float) - theirs.astype(float)).ravel())
        else:
            equal = np.asarray(mine == theirs).reshape(len(mine), math.prod(mine.shape[1:]))
            tally.labels(np.asarray(equal.all(axis=1)))
