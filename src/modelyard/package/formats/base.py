"""The protocol every package format implements: prepare, save, open.

A format turns a model object into a file (``prepare`` + ``save``) and a file back into a
:class:`Session` that runs named arrays (``open``). The builder and the loader only talk to
this protocol and look formats up by name in :data:`modelyard.package.formats.FORMATS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from modelyard.core.errors import ConfigError
from modelyard.package.manifest import Format, Signature


@dataclass(frozen=True)
class Prepared:
    """A model ready to save: the object to write, its signature and what it was made with.

    ``reference`` is the original model as an in-memory session, for formats whose parity
    compares raw outputs (TorchScript: the module given against the file written and reread).
    """

    artifact: Any
    signature: Signature
    flavor: str
    extra: dict[str, Any] = field(default_factory=dict)
    reference: Session | None = None


class Session(Protocol):
    """An opened model: named input arrays in, named output arrays out."""

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the model once on a batch."""
        ...


class ModelFormat(Protocol):
    """One way of storing a model in a package."""

    name: Format
    model_file: str
    requirements: tuple[str, ...]
    """Distributions captured at build time (those installed)."""
    pins_requirements: bool
    """Whether a version difference at load time refuses to load (pickles) or is tolerated."""

    def accepts(self, model: Any) -> bool:
        """Whether this is the natural format for ``model`` (used when none is asked for)."""
        ...

    def prepare(self, model: Any, sample: Any) -> Prepared:
        """Convert ``model`` if needed and infer its signature from it and the sample."""
        ...

    def save(self, artifact: Any, path: Path) -> None:
        """Write the prepared artifact to ``path``."""
        ...

    def open(self, path: Path, signature: Signature, **options: Any) -> Session:
        """Load a verified model file for inference with format-specific runtime options."""
        ...


class NoOptions(BaseModel):
    """Runtime options of a format that takes none."""

    model_config = ConfigDict(extra="forbid")


OptionsT = TypeVar("OptionsT", bound=BaseModel)


def parse_options(format_name: str, schema: type[OptionsT], options: dict[str, Any]) -> OptionsT:
    """Validate runtime options, naming the offending option and what the format accepts."""
    try:
        return schema.model_validate(options)
    except ValidationError as error:
        first = error.errors()[0]
        known = ", ".join(schema.model_fields) or "none"
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"runtime option {where!r} for format {format_name}: {first['msg']} "
            f"(accepted options: {known})"
        ) from None
