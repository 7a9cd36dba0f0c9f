"""Requests checked against the training data profile stored in the package.

A model answers confidently on inputs it never saw: a radius ten times the largest in
training, a category it was never shown. The profile in the manifest holds each feature's
range and (for categories with few values) every category; this check compiles them once per
model version into arrays and compares whole requests at once. A missing value where training
had none is not this check's business: the encoder refuses it in every mode, as the signature
marks which columns may be missing (see :func:`modelyard.package.profile.mark_missing`).
The endpoint's ``validation.profile`` decides what follows: ``warn`` checks a request a
second and logs what falls outside, ``reject`` checks every request and answers 422 naming
every offending field, ``off`` skips the check. Only a profile of training data is used: one
of a few sample rows says nothing of the training range.

Only tabular requests (records or rows) are checked: an image's pixels are judged by drift
over many requests, not one by one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from modelyard.core.errors import PayloadError
from modelyard.package.manifest import DataProfile, Signature
from modelyard.pipeline.encoders.payload import Problem, instances_of, pointer, problem
from modelyard.pipeline.types import Arrays

logger = logging.getLogger(__name__)

Policy = Literal["off", "warn", "reject"]

RELATIVE_SLACK = 1e-6
"""Requests are cast to float32; a value equal to the training maximum may round just past
it. This much relative slack keeps the bounds from flagging rounding."""

WARN_EVERY_S = 1.0
"""``warn`` checks (and logs) at most once a second per endpoint: a drifting client must not
flood the log, and the other requests pay nothing."""


@dataclass(frozen=True)
class Violation:
    """One value outside the profile: which row, which column, what was expected and seen."""

    row: int
    column: str
    position: int
    expected: str
    got: str
    kind: Literal["out_of_range", "unseen_category"] = "out_of_range"


class ProfileCheck:
    """A version's profile compiled for fast checks of tabular runner feeds."""

    def __init__(self, profile: DataProfile, signature: Signature) -> None:
        features = {feature.name: feature for feature in profile.features}
        self._columns = [column.name for column in signature.columns]
        single = signature.inputs[0] if len(signature.inputs) == 1 else None
        # One numeric input holds every column, stacked in signature order (see Signature).
        self._stacked = single.name if single is not None and single.dtype != "string" else None
        count = len(self._columns)
        self._low = np.full(count, -np.inf)
        self._high = np.full(count, np.inf)
        self._categories: dict[str, frozenset[str]] = {}
        for j, name in enumerate(self._columns):
            feature = features.get(name)
            if feature is None:
                continue
            if feature.numeric is not None:
                slack = RELATIVE_SLACK * max(abs(feature.numeric.min), abs(feature.numeric.max))
                self._low[j] = feature.numeric.min - slack
                self._high[j] = feature.numeric.max + slack
            categorical = feature.categorical
            if categorical is not None and categorical.unique <= len(categorical.top):
                self._categories[name] = frozenset(categorical.top)

    def violations(self, feeds: Arrays) -> list[Violation]:
        """Every value of ``feeds`` outside the profile, row by row (empty when all fit)."""
        if self._stacked is not None and self._stacked in feeds:
            return self._numeric(feeds[self._stacked])
        found: list[Violation] = []
        for j, name in enumerate(self._columns):
            column = feeds.get(name)
            if column is None:
                continue
            values = np.asarray(column).reshape(-1)
            if values.dtype.kind in "biuf":
                found += self._numeric(values.reshape(-1, 1), [j])
            elif name in self._categories:
                allowed = self._categories[name]
                found += [
                    Violation(
                        i,
                        name,
                        j,
                        "a category seen in training",
                        "an unseen category",
                        "unseen_category",
                    )
                    for i, value in enumerate(values)
                    if str(value) not in allowed
                ]
        found.sort(key=lambda v: (v.row, v.position))
        return found

    def _numeric(self, matrix: np.ndarray, positions: list[int] | None = None) -> list[Violation]:
        index = positions if positions is not None else slice(None)
        low, high = self._low[index], self._high[index]
        outside = (matrix < low) | (matrix > high)  # NaN compares False: allowed missing passes
        if not outside.any():  # the common case: a few vector comparisons
            return []
        places = positions or list(range(len(self._columns)))
        found = []
        for i, j in zip(*np.nonzero(outside), strict=True):
            expected = f"a number within the training range [{low[j]:.6g}, {high[j]:.6g}]"
            got = "a value below that range" if matrix[i, j] < low[j] else "a value above it"
            place = places[j]
            found.append(Violation(int(i), self._columns[place], place, expected, got))
        return found


class ProfileGuard:
    """What an endpoint does with violations: nothing, a rate-limited warning, or a 422."""

    def __init__(self, check: ProfileCheck, policy: Policy, model: str) -> None:
        self._check = check
        self._policy = policy
        self._model = model
        self._last_warning = 0.0

    def inspect(self, payload: Any, feeds: Arrays) -> None:
        """Warn about or refuse ``payload`` when its feeds fall outside the profile.

        ``reject`` checks every request. ``warn`` checks one request a second at most: its
        only output is a log line at that rate, and the check (~10 µs) would otherwise be
        paid by every request on the hot path.
        """
        if self._policy == "warn":
            now = time.monotonic()
            if now - self._last_warning < WARN_EVERY_S:
                return
            self._last_warning = now
        found = self._check.violations(feeds)
        if not found:
            return
        problems = _problems(payload, found)
        if self._policy == "reject":
            raise PayloadError(problems)
        fields = ", ".join(p["pointer"] for p in problems[:5])
        more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
        logger.warning(
            "model %s: inputs outside the training profile at %s%s", self._model, fields, more
        )


def _problems(payload: Any, found: list[Violation]) -> list[Problem]:
    """Violations as JSON-pointer problems, keyed the way the request spelled its instances."""
    instances, prefix = instances_of(payload)
    problems = []
    for v in found:
        key = v.column if isinstance(instances[v.row], dict) else v.position
        problems.append(problem(pointer(*prefix, v.row, key), v.expected, v.got))
    return problems
