"""Logged tabular inputs checked against the version's training profile, counted per feature.

The request path never pays for this: the writer thread runs :class:`ProfileCheck` (compiled
once per model version) over a whole logged batch and counts what falls outside, by feature
and kind (``out_of_range``, ``unseen_category``, ``missing``: a missing value in a column the
signature allows to be missing). Only the sampled requests are counted: the counts measure the
log, as drift does.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from modelyard.monitoring.records import feature_arrays
from modelyard.pipeline.encoders.tabular import TabularEncoder
from modelyard.pipeline.profile_check import ProfileCheck

Tally = Counter[tuple[str, str]]
"""Violations by (feature, kind)."""


class ViolationCounter:
    """The compiled profile checks of the versions seen, and their counts."""

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str], ProfileCheck | None] = {}
        self.counts: Counter[tuple[str, str, str, str]] = Counter()
        """Violations by (endpoint, variant, feature, kind); writer thread only."""

    def count(self, endpoint: str, variant: Any, feeds: dict[str, np.ndarray]) -> None:
        """Count the violations of ``feeds`` (a logged batch of ``variant``'s requests)."""
        check = self._check(variant)
        if check is None:
            return
        found: Tally = Counter((v.column, v.kind) for v in check.violations(feeds))
        found.update(_missing(variant, feeds))
        for (feature, kind), n in found.items():
            self.counts[endpoint, variant.name, feature, kind] += n

    def _check(self, variant: Any) -> ProfileCheck | None:
        """The variant's version's check, compiled on first use; ``None`` when it has no
        training profile or is not tabular."""
        key = (variant.model_name, variant.version)
        if key not in self._checks:
            pipeline = variant.pipeline
            profile, signature = pipeline.manifest.profile, pipeline.manifest.signature
            usable = (
                profile is not None
                and profile.source == "train"
                and bool(signature.columns)
                and isinstance(pipeline.encoder, TabularEncoder)
            )
            self._checks[key] = ProfileCheck(profile, signature) if usable else None
        return self._checks[key]


def _missing(variant: Any, feeds: dict[str, np.ndarray]) -> Tally:
    """NaNs in the columns whose signature allows them (elsewhere the encoder refused)."""
    signature = variant.pipeline.manifest.signature
    allowed = {c.name for c in signature.columns if c.missing}
    if not allowed:
        return Counter()
    found: Tally = Counter()
    for name, values in feature_arrays(feeds, signature).items():
        if name in allowed and values.dtype.kind == "f":
            n = int(np.isnan(values).sum())
            if n:
                found[name, "missing"] = n
    return found
