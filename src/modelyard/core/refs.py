"""Parse model references: ``name``, ``name:3`` and ``name@alias``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelyard.core.errors import ConfigError

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_REF_RE = re.compile(rf"^(?P<name>{_NAME})(?:(?::(?P<version>\d+))|(?:@(?P<alias>{_NAME})))?$")


@dataclass(frozen=True)
class ModelRef:
    """A reference to one model version: by number, by alias, or (neither) the latest."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


def parse_ref(text: str) -> ModelRef:
    """Read ``name``, ``name:V`` or ``name@alias``; anything else is a :class:`ConfigError`."""
    match = _REF_RE.match(text.strip())
    if not match:
        raise ConfigError(
            f"bad model reference {text!r}: expected 'name', 'name:VERSION' or 'name@alias' "
            "(letters, digits, '_', '-', '.')"
        )
    version = match.group("version")
    return ModelRef(match.group("name"), int(version) if version else None, match.group("alias"))


def check_name(name: str, what: str = "model name") -> str:
    """Return ``name`` when it is a valid model or alias name, else raise :class:`ConfigError`."""
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"bad {what} {name!r}: expected letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return name
