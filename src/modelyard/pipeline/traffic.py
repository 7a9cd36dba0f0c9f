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
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> object:
    """``"60s"``, ``"5m"``, ``"1h"``, ``"30d"``, ``"250ms"`` or a number of seconds, as seconds.

    Anything else is passed on for pydantic to refuse as "not a number".
    """
    if isinstance(value, str):
        text = value.strip()
        for unit in sorted(_UNITS_S, key=len, reverse=True):
            if text.endswith(unit):
                number = text[: -len(unit)].strip()
                try:
                    return float(number) * _UNITS_S[unit]
                except ValueError:
                    break
        raise ValueError(f"{value!r} is not a duration: expected e.g. 250ms, 60s, 5m, 1h or 30d")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
"""Seconds, written as a number or with a unit (``ms``, ``s``, ``m``, ``h``, ``d``)."""


class _Traffic(_Strict):
    feedback_window: Duration = Field(
        default=86400.0,
        description="how long a request id stays valid for feedback (default 24h)",
    )


class SingleTraffic(_Traffic):
    """All traffic to the endpoint's model."""

    strategy: Literal["single"] = "single"


class ShadowTraffic(_Traffic):
    """The primary answers; a copy of ``percent`` of requests goes to each shadow."""

    strategy: Literal["shadow"]
    shadows: list[str] = Field(min_length=1, description="refs (name@alias or name:VERSION)")
    percent: float = Field(default=100.0, ge=0, le=100)
    queue: int = Field(
        default=1000, ge=1, description="mirrored requests waiting per shadow; more are dropped"
    )


class CanaryTraffic(_Traffic):
    """A candidate taking a growing share, judged against the primary at each step."""

    strategy: Literal["canary"]
    candidate: str = Field(description="ref (name@alias or name:VERSION)")
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


class ABTraffic(_Traffic):
    """Named variants sharing traffic by weight, sticky per key."""

    strategy: Literal["ab"]
    variants: dict[str, str] = Field(min_length=2, description="name: ref")
    weights: dict[str, float] | None = Field(
        default=None, description="name: percent (default: equal shares)"
    )
    sticky: str | None = Field(default=None, description="header:NAME or field:NAME")
    seed: str | None = Field(default=None, description="hash seed (default: the endpoint id)")


class BanditTraffic(_Traffic):
    """Variants sharing traffic as the rewards from feedback decide."""

    strategy: Literal["bandit"]
    variants: list[str] = Field(min_length=2, description="refs")
    algorithm: Literal["thompson", "epsilon_greedy"] = "thompson"
    epsilon: float = Field(default=0.1, ge=0, le=1)
    reward: Literal["feedback"] = "feedback"


Traffic = Annotated[
    SingleTraffic | ShadowTraffic | CanaryTraffic | ABTraffic | BanditTraffic,
    Field(discriminator="strategy"),
]
