"""The component registry: every encoder, runner, postprocessor and formatter, by name.

A pipeline never branches on a component's name; it asks this registry. Built-ins are listed
in :mod:`modelyard.pipeline.builtins`; third parties add theirs through the entry-point group
``modelyard.components``, each entry point naming a :class:`ComponentType`::

    [project.entry-points."modelyard.components"]
    clip_scores = "my_package.steps:CLIP_SCORES"   # ComponentType("postprocessor", ...)

A bad name or a bad argument raises :class:`ConfigError` naming the file and line the spec
came from, the component, and what is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from modelyard.core.config import line_of
from modelyard.core.errors import ConfigError
from modelyard.package.manifest import ComponentSpec
from modelyard.pipeline.types import Context, Encoder, Formatter, Postprocessor, Runner

Kind = Literal["encoder", "runner", "postprocessor", "formatter"]
ENTRY_POINT_GROUP = "modelyard.components"
_PROTOCOLS: dict[str, type] = {
    "encoder": Encoder,
    "runner": Runner,
    "postprocessor": Postprocessor,
    "formatter": Formatter,
}


class ComponentArgs(BaseModel):
    """Base of every component's arguments: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class NoArgs(ComponentArgs):
    """The arguments of a component that takes none."""


@dataclass(frozen=True)
class ComponentType:
    """A component as the registry knows it: its kind, name, args model and factory.

    ``factory(args, context)`` gets the validated args and the model's :class:`Context`.
    """

    kind: Kind
    name: str
    args: type[BaseModel]
    factory: Callable[[Any, Context], Any]


@dataclass(frozen=True)
class Origin:
    """Where a component spec was written, so errors can point at the line to edit.

    ``source`` is a file name (or e.g. ``manifest of breast_cancer:3``), ``root`` the YAML
    node tree of that file when there is one, ``loc`` the path of the spec inside it.
    """

    source: str
    root: yaml.Node | None = None
    loc: tuple[Any, ...] = ()

    def at(self, *more: Any) -> Origin:
        """The origin of a part of this spec."""
        return Origin(self.source, self.root, self.loc + more)

    def where(self) -> str:
        """``file:line`` when the line is known, else the file."""
        line = line_of(self.root, self.loc)
        return f"{self.source}:{line}" if line is not None else self.source

    def error(self, message: str) -> ConfigError:
        """A :class:`ConfigError` reading ``file:line: path.to.spec: message``."""
        dotted = ".".join(str(part) for part in self.loc) or "(top level)"
        return ConfigError(f"{self.where()}: {dotted}: {message}")


class ComponentRegistry:
    """Component types by kind and name; lookups and builds, never name-based branches."""

    def __init__(self, types: Iterable[ComponentType] = ()) -> None:
        self._types: dict[tuple[str, str], ComponentType] = {}
        for component in types:
            self.add(component)

    def add(self, component: ComponentType) -> None:
        """Register ``component``; a second component of the same kind and name is refused."""
        key = (component.kind, component.name)
        if key in self._types:
            raise ConfigError(f"{component.kind} {component.name!r} is registered twice")
        self._types[key] = component

    def names(self, kind: Kind) -> list[str]:
        """The names known for ``kind``, sorted."""
        return sorted(name for k, name in self._types if k == kind)

    def get(self, kind: Kind, name: str, origin: Origin) -> ComponentType:
        """The type registered as ``name``; else an error listing the known names."""
        component = self._types.get((kind, name))
        if component is None:
            known = ", ".join(self.names(kind)) or "none"
            raise origin.at("name").error(f"unknown {kind} {name!r}; known: {known}")
        return component

    def build(self, kind: Kind, spec: ComponentSpec, context: Context, origin: Origin) -> Any:
        """Validate ``spec.args`` against the component's model and construct it."""
        component = self.get(kind, spec.name, origin)
        try:
            args = component.args.model_validate(spec.args)
        except ValidationError as error:
            lines = []
            for item in error.errors():
                at = origin.at("args", *item["loc"])
                dotted = ".".join(str(part) for part in at.loc)
                lines.append(f"{at.where()}: {dotted}: {kind} {spec.name!r}: {item['msg']}")
            raise ConfigError("\n".join(lines)) from None
        try:
            built = component.factory(args, context)
        except ConfigError as error:
            raise origin.error(f"{kind} {spec.name!r}: {error}") from None
        protocol = _PROTOCOLS[kind]
        if not isinstance(built, protocol):
            raise origin.error(
                f"{kind} {spec.name!r} built a {type(built).__name__}, which lacks the methods "
                f"of {protocol.__name__}"
            )
        return built


def _entry_point_types() -> list[ComponentType]:
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if not isinstance(loaded, ComponentType):
            raise ConfigError(
                f"entry point {entry.name!r} ({entry.value}) in {ENTRY_POINT_GROUP!r} must "
                f"name a modelyard.pipeline.ComponentType, not {type(loaded).__name__}"
            )
        found.append(loaded)
    return found


@lru_cache(maxsize=1)
def default_registry() -> ComponentRegistry:
    """Built-ins plus every installed ``modelyard.components`` entry point (loaded once)."""
    from modelyard.pipeline.builtins import BUILTINS

    return ComponentRegistry([*BUILTINS, *_entry_point_types()])
