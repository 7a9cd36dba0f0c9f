"""The ``traffic:`` block of an endpoint: which versions answer, in what shares, and how a
rollout moves on.

A union discriminated by ``strategy``; ``single`` (the endpoint's ``model:`` answers
everything) is the default. The endpoint's ``model:`` is always the *primary*: the version
that answers by default, and whose alias a canary promotes.

- ``shadow``: the primary answers; ``percent`` of requests are copied to each of ``shadows``
  after the answer is sent, and their answers compared.
- ``canary``: ``candidate`` takes ``steps`` percent of traffic in turn, each step judged
  against the primary over ``interval``; it is promoted after the last, rolled back at the
  first failed check.
- ``ab``: ``variants`` share traffic by ``weights``, sticky per key when ``sticky`` says
  where the key is; feedback rewards give the verdict.
- ``bandit``: ``variants`` share traffic as Thompson sampling (or epsilon-greedy) decides
  from the feedback rewards.

Each strategy validates itself here; the checks that need the endpoint's ``model:`` are
``problems(model)``, run by the endpoint spec. ``plan(model)`` turns a valid block into the
arms a server loads, each with the place its ref is written so a load error names that line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from modelyard.core.errors import ConfigError
from modelyard.core.refs import check_name, parse_ref
from modelyard.pipeline.config_values import Duration, Loc, Problem, Ref, raise_at


@dataclass(frozen=True)
class ArmPlan:
    """One arm a server loads for an endpoint: its name, ref, role and share of traffic.

    ``name`` is ``primary``/``candidate`` (canary, and the primary of single and shadow), the
    variant's key (ab), or the ref as written (bandit, shadow). ``weight`` is the percent of
    traffic it answers (a shadow: the percent mirrored to it). ``loc`` is where the ref is
    written inside the endpoint spec, e.g. ``("traffic", "variants", "b")``.
    """

    name: str
    ref: str
    role: Literal["variant", "shadow"]
    weight: float
    loc: Loc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_PRIMARY_LOC: Loc = ("model",)


def _primary(model: str) -> ArmPlan:
    return ArmPlan("primary", model, "variant", 100.0, _PRIMARY_LOC)


def _duplicates(refs: list[str]) -> list[Problem]:
    """A problem at each repeat of a ref already listed."""
    return [
        ((i,), f"{ref!r} is listed twice: expected each ref once")
        for i, ref in enumerate(refs)
        if refs.index(ref) != i
    ]


class _Traffic(_Strict):
    feedback_window: Duration = Field(
        default=86400.0,
        description="how long a request id stays valid for feedback (default 24h)",
    )

    def problems(self, model: str) -> list[Problem]:
        """What is wrong with this block beside the endpoint's ``model:`` (locations inside
        the endpoint spec); nothing for strategies that take any primary."""
        return []

    def plan(self, model: str) -> list[ArmPlan]:
        """The arms to load, the primary (the arm whose ref is ``model``) first."""
        return [_primary(model)]

    def primary_arm(self, model: str) -> str:
        """The name of the arm that answers by default (and after a rollout stops)."""
        return "primary"


class SingleTraffic(_Traffic):
    """All traffic to the endpoint's model."""

    strategy: Literal["single"] = "single"


class ShadowTraffic(_Traffic):
    """The primary answers; a copy of ``percent`` of requests goes to each shadow."""

    strategy: Literal["shadow"]
    shadows: list[Ref] = Field(min_length=1, description="refs (name@alias or name:VERSION)")
    percent: float = Field(default=100.0, ge=0, le=100)
    queue: int = Field(
        default=1000, ge=1, description="mirrored requests waiting per shadow; more are dropped"
    )

    @field_validator("shadows")
    @classmethod
    def _each_shadow_once(cls, shadows: list[str]) -> list[str]:
        if problems := _duplicates(shadows):
            raise_at("shadows", problems, shadows)
        return shadows

    def plan(self, model: str) -> list[ArmPlan]:
        shadows = [
            ArmPlan(ref, ref, "shadow", self.percent, ("traffic", "shadows", i))
            for i, ref in enumerate(self.shadows)
        ]
        return [_primary(model), *shadows]


class CanaryTraffic(_Traffic):
    """A candidate taking a growing share, judged against the primary at each step."""

    strategy: Literal["canary"]
    candidate: Ref = Field(description="ref (name@alias or name:VERSION)")
    steps: list[float] = Field(default=[5.0, 25.0, 50.0], min_length=1)
    interval: Duration = 60.0
    min_requests: int = Field(default=100, ge=1)
    max_error_rate: float | None = Field(default=0.01, ge=0, le=1)
    max_error_rate_increase: float | None = Field(default=None, ge=0, le=1)
    max_latency_ratio: float | None = Field(default=None, gt=0)
    min_agreement: float | None = Field(default=None, ge=0, le=1)
    agreement_percent: float = Field(
        default=10.0,
        ge=0,
        le=100,
        description="percent of the candidate's requests also run on the primary to measure "
        "agreement (with min_agreement)",
    )
    deadline: Duration = 3600.0

    @field_validator("steps")
    @classmethod
    def _steps_grow_within_100(cls, steps: list[float]) -> list[float]:
        """Below 100: at 100 the primary answers nothing to judge the candidate against, and
        passing the last step gives the candidate all the traffic anyway (the promotion)."""
        problems: list[Problem] = []
        for i, step in enumerate(steps):
            if not 0 < step < 100:
                problems.append(((i,), f"{step:g} is not a percent in (0, 100)"))
            elif i and not step > steps[i - 1]:
                problems.append(
                    ((i,), f"{step:g} follows {steps[i - 1]:g}: steps must increase strictly")
                )
        if problems:
            raise_at("steps", problems, steps)
        return steps

    @model_validator(mode="after")
    def _a_step_ends_before_the_deadline(self) -> CanaryTraffic:
        if self.interval > self.deadline:
            # point at whichever of the two the file sets (the other is a default)
            field = "deadline" if "deadline" in self.model_fields_set else "interval"
            message = (
                "interval must be at most deadline: a step is judged after one interval, "
                "and a rollout still undecided at the deadline stops as inconclusive"
            )
            raise_at("canary", [((field,), message)], getattr(self, field))
        if self.min_agreement is not None and self.agreement_percent == 0:
            message = (
                "min_agreement needs requests to compare: set agreement_percent above 0 "
                "(the share of the candidate's requests the primary also answers)"
            )
            raise_at("canary", [(("agreement_percent",), message)], self.agreement_percent)
        return self

    def problems(self, model: str) -> list[Problem]:
        primary = parse_ref(model)
        if primary.alias is None:
            return [
                (
                    _PRIMARY_LOC,
                    "a canary promotes its candidate by moving the primary's alias: expected "
                    "model: NAME@ALIAS, not a version number",
                )
            ]
        candidate = parse_ref(self.candidate)
        if candidate.name != primary.name:
            message = f"expected a version of {primary.name!r}, the model the canary replaces"
            return [(("traffic", "candidate"), message)]
        if self.candidate == model:
            message = "the candidate is the primary itself: expected another version"
            return [(("traffic", "candidate"), message)]
        return []

    def plan(self, model: str) -> list[ArmPlan]:
        first = self.steps[0]
        return [
            ArmPlan("primary", model, "variant", 100.0 - first, _PRIMARY_LOC),
            ArmPlan("candidate", self.candidate, "variant", first, ("traffic", "candidate")),
        ]


_HEADER_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)
_STICKY_EXPECTED = "expected header:NAME (an HTTP header) or field:NAME (a field of each instance)"


class ABTraffic(_Traffic):
    """Named variants sharing traffic by weight, sticky per key."""

    strategy: Literal["ab"]
    variants: dict[str, Ref] = Field(min_length=2, description="name: ref")
    weights: dict[str, float] | None = Field(
        default=None, description="name: percent (default: equal shares)"
    )
    sticky: str | None = Field(default=None, description="header:NAME or field:NAME")
    seed: str | None = Field(default=None, description="hash seed (default: the endpoint id)")

    @field_validator("variants")
    @classmethod
    def _names_are_names(cls, variants: dict[str, str]) -> dict[str, str]:
        problems: list[Problem] = []
        for name in variants:
            try:
                check_name(name, "variant name")
            except ConfigError as error:
                problems.append(((name,), str(error)))
        if problems:
            raise_at("variants", problems, variants)
        return variants

    @field_validator("sticky")
    @classmethod
    def _sticky_names_a_key(cls, sticky: str | None) -> str | None:
        if sticky is None:
            return None
        kind, _, name = sticky.partition(":")
        if kind == "header":
            if not _HEADER_TOKEN.fullmatch(name):
                raise ValueError(
                    f"bad header name {name!r}: expected letters, digits and "
                    "!#$%&'*+-.^_`|~ (an HTTP header name)"
                )
        elif kind == "field":
            try:
                check_name(name, "field name")
            except ConfigError as error:
                raise ValueError(str(error)) from None
        else:
            raise ValueError(_STICKY_EXPECTED)
        return sticky

    @model_validator(mode="after")
    def _weights_cover_the_variants(self) -> ABTraffic:
        if self.weights is None:
            return self
        missing = [name for name in self.variants if name not in self.weights]
        extra = [name for name in self.weights if name not in self.variants]
        if missing or extra:
            parts = [f"missing {', '.join(missing)}"] if missing else []
            parts += [f"not a variant: {', '.join(extra)}"] if extra else []
            message = f"expected a percent for each variant and nothing else; {'; '.join(parts)}"
            raise_at("ab", [(("weights",), message)], self.weights)
        problems: list[Problem] = [
            (("weights", name), f"{weight:g} is not a percent in [0, 100]")
            for name, weight in self.weights.items()
            if not 0 <= weight <= 100
        ]
        total = sum(self.weights.values())
        if not problems and abs(total - 100) > 1e-6:
            problems.append((("weights",), f"weights sum to {total:.10g}, expected 100"))
        if problems:
            raise_at("ab", problems, self.weights)
        return self

    @property
    def sticky_key(self) -> tuple[Literal["header", "field"], str] | None:
        """Where a request's stickiness key is read: ``("header", NAME)`` or
        ``("field", NAME)``; ``None`` when requests are not sticky."""
        if self.sticky is None:
            return None
        kind, _, name = self.sticky.partition(":")
        return ("header", name) if kind == "header" else ("field", name)

    def problems(self, model: str) -> list[Problem]:
        if model in self.variants.values():
            return []
        message = (
            "expected the endpoint's model among the variants: it is the primary, the "
            "variant that answers when the experiment stops"
        )
        return [(("traffic", "variants"), message)]

    def plan(self, model: str) -> list[ArmPlan]:
        share = 100.0 / len(self.variants)
        arms = [
            ArmPlan(
                name,
                ref,
                "variant",
                self.weights[name] if self.weights is not None else share,
                ("traffic", "variants", name),
            )
            for name, ref in self.variants.items()
        ]
        primary = self.primary_arm(model)
        return sorted(arms, key=lambda arm: arm.name != primary)

    def primary_arm(self, model: str) -> str:
        return next(name for name, ref in self.variants.items() if ref == model)


class BanditTraffic(_Traffic):
    """Variants sharing traffic as the rewards from feedback decide."""

    strategy: Literal["bandit"]
    variants: list[Ref] = Field(min_length=2, description="refs")
    algorithm: Literal["thompson", "epsilon_greedy"] = "thompson"
    epsilon: float = Field(default=0.1, ge=0, le=1)
    reward: Literal["feedback"] = "feedback"

    @field_validator("variants")
    @classmethod
    def _each_arm_once(cls, variants: list[str]) -> list[str]:
        if problems := _duplicates(variants):
            raise_at("variants", problems, variants)
        return variants

    def problems(self, model: str) -> list[Problem]:
        if model in self.variants:
            return []
        message = (
            "expected the endpoint's model among the variants: it is the primary, the arm "
            "that answers when the rollout stops"
        )
        return [(("traffic", "variants"), message)]

    def plan(self, model: str) -> list[ArmPlan]:
        share = 100.0 / len(self.variants)
        arms = [
            ArmPlan(ref, ref, "variant", share, ("traffic", "variants", i))
            for i, ref in enumerate(self.variants)
        ]
        return sorted(arms, key=lambda arm: arm.ref != model)

    def primary_arm(self, model: str) -> str:
        return model


STRATEGIES = ("single", "shadow", "canary", "ab", "bandit")


def _strategy_of(value: Any) -> str | None:
    """The tag of a ``traffic:`` value; ``None`` (refused with one plain message) when it
    has none or names no strategy."""
    if isinstance(value, dict):
        strategy = value.get("strategy")
    else:
        strategy = getattr(value, "strategy", None)
    return strategy if isinstance(strategy, str) and strategy in STRATEGIES else None


Traffic = Annotated[
    Annotated[SingleTraffic, Tag("single")]
    | Annotated[ShadowTraffic, Tag("shadow")]
    | Annotated[CanaryTraffic, Tag("canary")]
    | Annotated[ABTraffic, Tag("ab")]
    | Annotated[BanditTraffic, Tag("bandit")],
    Discriminator(
        _strategy_of,
        custom_error_type="traffic_strategy",
        custom_error_message=f"expected one of {', '.join(STRATEGIES)}",
        custom_error_context={"discriminator": "strategy"},
    ),
]
