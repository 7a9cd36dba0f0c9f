"""Parse model references: ``name``, ``name:3`` and ``name@alias``.

Names (of models, aliases, tags and endpoints) are ASCII letters, digits, ``_``, ``-`` and
``.``, starting with a letter or digit, at most :data:`MAX_NAME_LENGTH` characters. They end
up in URLs, HTTP headers, log lines, file names and SQL keys, so nothing else gets in: no
whitespace, newline, control or non-ASCII character. Patterns are matched whole (a ``$``
would match before a final newline), in ASCII mode (``\\d`` would take any script's digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelyard.core.errors import ConfigError

MAX_NAME_LENGTH = 128
"""Longest name accepted; the registry's columns hold 200 characters."""

_NAME = rf"[A-Za-z0-9][A-Za-z0-9_.\-]{{0,{MAX_NAME_LENGTH - 1}}}"
_NAME_RE = re.compile(_NAME, re.ASCII)
_REF_RE = re.compile(
    rf"(?P<name>{_NAME})(?:(?::(?P<version>[0-9]{{1,18}}))|(?:@(?P<alias>{_NAME})))?", re.ASCII
)
_EXPECTED = (
    f"letters, digits, '_', '-' or '.', starting with a letter or digit, at most "
    f"{MAX_NAME_LENGTH} characters"
)


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
    match = _REF_RE.fullmatch(text)
    if not match:
        raise ConfigError(
            f"bad model reference {text!r}: expected 'name', 'name:VERSION' or 'name@alias' "
            f"({_EXPECTED})"
        )
    version = match.group("version")
    return ModelRef(match.group("name"), int(version) if version else None, match.group("alias"))


def check_name(name: str, what: str = "model name") -> str:
    """Return ``name`` when it is a valid model or alias name, else raise :class:`ConfigError`."""
    if not _NAME_RE.fullmatch(name):
        raise ConfigError(f"bad {what} {name!r}: expected {_EXPECTED}")
    return name
