"""Typed YAML configuration: YAML → pydantic, with file and line in every error.

PyYAML's node tree keeps the position of every key and value; when pydantic rejects the
document, each error location (``("endpoints", 0, "model")``) is walked down that tree to the
line the user must edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from modelyard.core.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)


def _node_at(node: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node:
    """The deepest node of ``node`` that ``loc`` reaches (stopping where the path ends)."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(
                (value for k, value in node.value if getattr(k, "value", None) == str(key)), None
            )
            if match is None:
                return node
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return node
            node = node.value[key]
        else:
            return node
    return node


def line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line in the YAML source that ``loc`` points at, when known."""
    if root is None:
        return None
    return _node_at(root, loc).start_mark.line + 1


def load_yaml(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file into plain data and its node tree (for line numbers)."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"{source}: no such file")
    text = source.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{source}{where}: not valid YAML: {problem}") from None
    return data, root


def _file_loc(item: ErrorDetails, data: Any) -> tuple[Any, ...]:
    """The error's location as the file writes it.

    A discriminated union adds the member's tag to the location (``traffic.canary.steps``
    for ``traffic: {strategy: canary, steps: ...}``): a key the mapping does not have but one
    of its values names. It is dropped, unless it ends the path of a "missing" error (there,
    the last key is the missing field). An error about the tag itself (``ctx`` names the
    ``discriminator`` key) points at that key.
    """
    loc: list[Any] = []
    node = data
    for i, key in enumerate(item["loc"]):
        if isinstance(node, dict):
            last_missing = i == len(item["loc"]) - 1 and item["type"] == "missing"
            tag = isinstance(key, str) and key not in node and key in node.values()
            if tag and not last_missing:
                continue
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            node = None
        loc.append(key)
    discriminator = item.get("ctx", {}).get("discriminator")
    if isinstance(discriminator, str):
        loc.append(discriminator.strip("'"))
    return tuple(loc)


def format_validation_error(
    error: ValidationError,
    source: str,
    root: yaml.Node | None,
    prefix: tuple[Any, ...] = (),
    data: Any = None,
) -> str:
    """One line per problem, each as ``file:line: path.to.field: message``.

    ``data`` is what was validated: with it, locations are mapped to the file's own keys.
    """
    lines = []
    for item in error.errors():
        loc = prefix + _file_loc(item, data)
        line = line_of(root, loc)
        where = f"{source}:{line}" if line is not None else source
        dotted = ".".join(str(part) for part in loc) or "(top level)"
        lines.append(f"{where}: {dotted}: {item['msg']}")
    return "\n".join(lines)


def validate_node(
    model: type[ModelT],
    data: Any,
    *,
    source: str,
    root: yaml.Node | None,
    loc: tuple[Any, ...] = (),
) -> ModelT:
    """Validate ``data`` (found at ``loc`` in the file) as ``model``, errors carrying lines."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, source, root, loc, data)) from None


def load_config(path: str | Path, model: type[ModelT]) -> ModelT:
    """Load a YAML file as ``model``; every schema error names the file and line."""
    data, root = load_yaml(path)
    return validate_node(model, data if data is not None else {}, source=str(path), root=root)
