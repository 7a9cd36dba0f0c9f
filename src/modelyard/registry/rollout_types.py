"""What a rollout is at one moment: plain frozen values shared by the store, the strategies,
the server and the CLI.

A rollout's *arms* are the variants that answer (``primary``/``candidate`` of a canary, the
keys of an A/B test, the refs of a bandit) and the shadows that never answer. Every arm keeps
two sets of :class:`ArmCounters`: the rollout's totals and the current step's (a canary judges
each step on its own interval). Counters only ever add up, so each replica folds its own
deltas into the database and every replica reads the same sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

RolloutStateName = Literal[
    "running", "paused", "promoted", "rolled_back", "inconclusive", "aborted"
]
ROLLOUT_STATES: tuple[RolloutStateName, ...] = (
    "running",
    "paused",
    "promoted",
    "rolled_back",
    "inconclusive",
    "aborted",
)
FINAL_STATES: frozenset[str] = frozenset({"promoted", "rolled_back", "aborted"})
"""States a rollout never leaves (a new configuration starts a new rollout)."""

ArmRole = Literal["variant", "shadow"]


def _latency_bounds() -> tuple[float, ...]:
    bounds = [0.0001]
    while bounds[-1] < 60.0:
        bounds.append(round(bounds[-1] * 1.25, 7))
    return tuple(bounds)


LATENCY_BOUNDS_S = _latency_bounds()
"""Upper bounds (seconds) of the latency buckets rollouts count: 100 µs to 60 s, each 25%
wider than the last, so a p99 read from the counts is within 25% of the true one."""


@dataclass(frozen=True)
class ArmCounters:
    """What one arm did in one scope (the rollout, or the current step); additive.

    ``latency`` counts requests per :data:`LATENCY_BOUNDS_S` bucket (one more slot for
    slower ones), or is empty when none were counted. Rewards come from feedback: a label
    counts as reward 1 when it matches the prediction, 0 otherwise (``labelled`` says how many
    rewards were labels). The mirror fields count the requests whose answers from this arm
    were compared with the primary's (a shadow's copies; a canary candidate's requests also
    run on the primary), how many copies were dropped or failed, and how the answers agreed:
    labels for classifiers, absolute differences of scores or values otherwise.
    """

    requests: int = 0
    errors: int = 0
    latency: tuple[int, ...] = ()
    rewards: int = 0
    reward_sum: float = 0.0
    reward_sumsq: float = 0.0
    labelled: int = 0
    mirrored: int = 0
    dropped: int = 0
    mirror_errors: int = 0
    labels_compared: int = 0
    labels_agreed: int = 0
    values_compared: int = 0
    absdiff_sum: float = 0.0
    absdiff_max: float = 0.0

    def plus(self, other: ArmCounters) -> ArmCounters:
        """The sum of both (``absdiff_max`` is the larger; latencies add bucket by bucket)."""
        values: dict[str, Any] = {}
        for spec in fields(self):
            mine, theirs = getattr(self, spec.name), getattr(other, spec.name)
            if spec.name == "latency":
                longest = max(len(mine), len(theirs))
                padded = [(*m, *([0] * (longest - len(m)))) for m in (mine, theirs)]
                values[spec.name] = tuple(a + b for a, b in zip(*padded, strict=True))
            elif spec.name == "absdiff_max":
                values[spec.name] = max(mine, theirs)
            else:
                values[spec.name] = mine + theirs
        return ArmCounters(**values)

    @property
    def reward_mean(self) -> float | None:
        """The mean feedback reward (accuracy when every reward was a label); ``None``
        before any."""
        return self.reward_sum / self.rewards if self.rewards else None

    def is_empty(self) -> bool:
        """Whether nothing was counted (a replica skips writing empty deltas)."""
        return self == _EMPTY


_EMPTY = ArmCounters()


@dataclass(frozen=True)
class ArmState:
    """One arm of a rollout: its name, the reference and version it serves, its share of
    traffic in percent (shadows: the percent of requests mirrored to it), and its counters."""

    name: str
    ref: str
    version: int | None
    role: ArmRole
    weight: float
    total: ArmCounters = field(default_factory=ArmCounters)
    step: ArmCounters = field(default_factory=ArmCounters)


@dataclass(frozen=True)
class RolloutEvent:
    """One transition of a rollout, kept forever: who or what moved it, why, with what
    figures (a canary's judged step keeps the checks it passed or failed)."""

    id: int
    endpoint: str
    at: datetime
    actor: str
    action: str
    from_state: RolloutStateName | None
    to_state: RolloutStateName
    step: int | None
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RolloutState:
    """A rollout as the database holds it: identity, state, step, and every arm.

    ``digest`` identifies the configuration (the endpoint's ``traffic:`` block and
    ``model:`` as written): a server started with another configuration starts a new
    rollout; one started with the same configuration resumes this one. ``revision``
    grows at every transition, so a replica notices a change with one comparison.
    ``primary`` names the arm that answers by default (and after an abort).
    """

    endpoint: str
    strategy: str
    digest: str
    primary: str
    state: RolloutStateName
    step: int | None
    started_at: datetime
    step_started_at: datetime
    updated_at: datetime
    revision: int
    arms: tuple[ArmState, ...]

    def arm(self, name: str) -> ArmState:
        """The arm called ``name``; ``KeyError`` when there is none."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(name)

    @property
    def weights(self) -> dict[str, float]:
        """Every answering arm's share of traffic, in percent."""
        return {arm.name: arm.weight for arm in self.arms if arm.role == "variant"}


@dataclass(frozen=True)
class AliasMove:
    """An alias move a transition makes in the same transaction (a canary's promotion)."""

    name: str
    alias: str
    version: int
    reason: str


@dataclass(frozen=True)
class Transition:
    """What a tick or a person decided: the new state, and optionally step and weights.

    ``None`` for ``step`` or ``weights`` keeps them. ``reset_step`` clears every arm's step
    counters and restarts the step's clock (a canary's new step, a resume). ``record=False``
    changes weights without a history event (a bandit re-weighing its arms every tick).
    """

    action: str
    state: RolloutStateName
    reason: str
    actor: str = "modelyard"
    step: int | None = None
    weights: dict[str, float] | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    reset_step: bool = False
    alias_move: AliasMove | None = None
    record: bool = True
