"""What one arm of an endpoint did since the rollout state was last written.

Counted on the event loop thread only, with plain integer increments (no lock, no I/O); the
rollout syncer takes the counts once per tick as an :class:`ArmCounters` delta, which the
registry database adds to every replica's. Latency is counted in the rollout's buckets
(:data:`LATENCY_BOUNDS_S`), which is what lets two replicas' p99 be merged exactly.
"""

from __future__ import annotations

from modelyard.registry.rollout_types import LATENCY_BOUNDS_S, ArmCounters
from modelyard.routing.histogram import bucket_index

_SLOTS = len(LATENCY_BOUNDS_S) + 1


class Tally:
    """Requests, errors (5xx), latency and mirror comparisons of one arm, since ``take``."""

    __slots__ = ("_comparisons", "dropped", "errors", "latency", "mirror_errors", "mirrored")

    def __init__(self) -> None:
        self.errors = 0
        self.latency = [0] * _SLOTS
        self.mirrored = 0
        self.dropped = 0
        self.mirror_errors = 0
        self._comparisons = ArmCounters()

    def answered(self, status: int, seconds: float) -> None:
        """Count one request this arm answered (any status) and its latency."""
        self.latency[bucket_index(seconds)] += 1
        if status >= 500:
            self.errors += 1

    def compared(self, comparison: ArmCounters) -> None:
        """Add one mirrored answer's comparison with the primary's."""
        self._comparisons = self._comparisons.plus(comparison)

    def take(self) -> ArmCounters:
        """The counts since the last call, as a delta; the tally starts again from zero."""
        latency = self.latency
        requests = sum(latency)
        delta = self._comparisons.plus(
            ArmCounters(
                requests=requests,
                errors=self.errors,
                latency=tuple(latency) if requests else (),
                mirrored=self.mirrored,
                dropped=self.dropped,
                mirror_errors=self.mirror_errors,
            )
        )
        self.errors = self.mirrored = self.dropped = self.mirror_errors = 0
        self.latency = [0] * _SLOTS
        self._comparisons = ArmCounters()
        return delta
