"""Typed values of the configuration files: model references, durations, and validation
errors placed at the field a user must edit."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_core import InitErrorDetails

from modelyard.core.errors import ConfigError
from modelyard.core.refs import parse_ref

Loc = tuple[str | int, ...]
"""A path inside a spec, as pydantic writes error locations: ``("traffic", "shadows", 0)``."""

Problem = tuple[Loc, str]
"""Where a value is wrong, and what is expected there."""


def pinned_ref(value: str) -> str:
    """``value`` when it is ``name@alias`` or ``name:VERSION``; else a ``ValueError`` saying so.

    A bare name is refused: whatever it resolves to could change without a recorded alias
    move.
    """
    try:
        ref = parse_ref(value)
    except ConfigError as error:
        raise ValueError(str(error)) from None
    if ref.version is None and ref.alias is None:
        raise ValueError(
            f"model {value!r} names no version: write {value}@ALIAS or {value}:VERSION, "
            "so an endpoint never moves without a recorded alias change"
        )
    return value


Ref = Annotated[str, AfterValidator(pinned_ref)]
"""A model reference that names a version or an alias."""


def raise_at(title: str, problems: list[Problem], value: Any = None) -> NoReturn:
    """Fail validation with one error per problem, each at its own location.

    Raised inside a validator, pydantic prefixes each location with the validated value's
    own, so a cross-field check still names the field (and line) a user must edit.
    """
    raise ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type="value_error", loc=loc, input=value, ctx={"error": ValueError(message)}
            )
            for loc, message in problems
        ],
    )


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
