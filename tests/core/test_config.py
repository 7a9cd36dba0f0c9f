"""Typed YAML loading: every error names the file and the line to edit."""

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from modelyard.core.config import load_config
from modelyard.core.errors import ConfigError


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    size: int = 1


class Document(BaseModel):
    items: list[Item]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "file.yaml"
    path.write_text(text)
    return path


def test_load_config_returns_the_typed_document(tmp_path: Path) -> None:
    doc = load_config(write(tmp_path, "items:\n  - id: a\n    size: 3\n"), Document)
    assert doc.items == [Item(id="a", size=3)]


def test_a_wrong_type_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - id: a\n  - id: b\n    size: many\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, Document)
    assert str(caught.value).startswith(f"{path}:4: items.1.size: Input should be a valid integer")


def test_an_unknown_key_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - id: a\n    colour: red\n")
    with pytest.raises(ConfigError, match=r"file.yaml:3: items.0.colour: Extra inputs"):
        load_config(path, Document)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - id: [a\n")
    with pytest.raises(ConfigError, match=r"file.yaml:3: not valid YAML"):
        load_config(path, Document)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: no such file"):
        load_config(tmp_path / "nope.yaml", Document)
