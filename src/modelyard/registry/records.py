"""The database's copy of a manifest, held against the verified package it describes.

The registry keeps a copy of each manifest in its database, for listings and queries. The
package's own ``manifest.json`` is what the digest covers, so it alone decides what serves;
a database copy that says anything else (a runner that skips the pickle requirement check,
another label map, other recorded library versions) is refused, naming the fields that
differ, rather than trusted or silently ignored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from modelyard.core.errors import IntegrityError
from modelyard.package.manifest import Manifest
from modelyard.registry.types import ModelVersion

_SHOWN = 5
"""Fields named in one message; more are counted."""

_PLAIN = re.compile(r"[A-Za-z0-9_\-]+", re.ASCII)


def _shown(key: str) -> str:
    """A key as a message shows it: plain names as they are, anything else (a file name with
    dots, slashes or control characters) quoted and escaped, so the message stays one line."""
    return key if _PLAIN.fullmatch(key) else json.dumps(key)


def _key(item: Any, index: int) -> str:
    """A list item's place: its ``name`` when it has one (a requirement), else its index."""
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return f"[{_shown(item['name'])}]"
    return f"[{index}]"


def differences(recorded: Any, packaged: Any, where: str = "") -> list[str]:
    """The dotted paths where two JSON documents differ (values are never named)."""
    if isinstance(recorded, dict) and isinstance(packaged, dict):
        found = []
        for key in sorted(set(recorded) | set(packaged)):
            path = f"{where}.{_shown(key)}" if where else _shown(key)
            if key not in recorded or key not in packaged:
                found.append(path)
            else:
                found += differences(recorded[key], packaged[key], path)
        return found
    if isinstance(recorded, list) and isinstance(packaged, list):
        if len(recorded) != len(packaged):
            return [where]
        found = []
        for index, (ours, theirs) in enumerate(zip(recorded, packaged, strict=True)):
            found += differences(ours, theirs, f"{where}{_key(theirs, index)}")
        return found
    return [] if recorded == packaged else [where or "(top level)"]


def check_record(version: ModelVersion, packaged: Manifest) -> None:
    """Raise :class:`IntegrityError` when the database's manifest of ``version`` is not the
    package's, naming the fields that differ."""
    fields = differences(version.manifest.model_dump(mode="json"), packaged.model_dump(mode="json"))
    if not fields:
        return
    shown = ", ".join(fields[:_SHOWN]) + (
        f" and {len(fields) - _SHOWN} more" if len(fields) > _SHOWN else ""
    )
    raise IntegrityError(
        f"the registry's record of {version.ref} differs from its verified package at {shown}: "
        "refusing to serve it (the package decides what serves; restore the record)"
    )
