"""Names with a newline, a control character or anything outside the name alphabet are
refused wherever they enter: references, ``log_model``, the registry, ``endpoints.yaml`` and
the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from modelyard.cli.main import main
from modelyard.core.errors import ConfigError
from modelyard.core.refs import MAX_NAME_LENGTH, check_name, parse_ref
from modelyard.pipeline.endpoint import read_endpoints_file
from modelyard.registry import Registry
from tinypackage import make_package

UNSAFE = [
    "bc\n",
    "bc\r\n",
    "\nbc",
    "b\tc",
    "b\x00c",
    "bc\x1b[31m",
    "bc\x7f",
    "b c",
    "bé",
    "bc\u2028",
    "b/c",
    "../bc",
    "bc;drop",
    "-bc",
    "a" * (MAX_NAME_LENGTH + 1),
]
EXPECTED = (
    "letters, digits, '_', '-' or '.', starting with a letter or digit, at most 128 characters"
)


@pytest.mark.parametrize("name", UNSAFE)
def test_check_name_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(ConfigError) as refused:
        check_name(name, "endpoint id")
    assert str(refused.value) == f"bad endpoint id {name!r}: expected {EXPECTED}"
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("text", ["bc\n", "bc:1\n", "bc@production\n", "bc:\u0661", "bc@prod\x00"])
def test_parse_ref_refuses_a_trailing_newline_and_non_ascii_digits(text: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_ref(text)
    assert str(refused.value).startswith(f"bad model reference {text!r}: expected ")


def test_the_longest_name_is_accepted() -> None:
    assert check_name("a" * MAX_NAME_LENGTH) == "a" * MAX_NAME_LENGTH


@pytest.mark.parametrize("name", ["bc\n", "b\x00c"])
def test_the_registry_refuses_a_package_named_unsafely(
    registry: Registry, tmp_path: Path, name: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        registry.register(make_package(tmp_path, name))
    assert str(refused.value) == f"bad model name {name!r}: expected {EXPECTED}"
    assert registry.list_models() == []


def test_the_registry_refuses_unsafe_alias_and_tag_names(
    registry: Registry, tmp_path: Path
) -> None:
    registry.register(make_package(tmp_path, "bc"))
    with pytest.raises(ConfigError) as alias:
        registry.set_alias("bc", "prod\n", 1, reason="test")
    with pytest.raises(ConfigError) as tag:
        registry.set_tag("bc:1", "team\x00", "risk")
    assert str(alias.value) == f"bad alias name 'prod\\n': expected {EXPECTED}"
    assert str(tag.value) == f"bad tag key 'team\\x00': expected {EXPECTED}"
    assert registry.aliases("bc") == {}


def test_log_model_refuses_an_unsafe_name_before_building(registry: Registry) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from modelyard.api import log_model

    X, y = load_iris(return_X_y=True)
    with pytest.raises(ConfigError) as refused:
        log_model(LogisticRegression(max_iter=500).fit(X, y), "iris\n", sample=X[:5],
                  registry=registry)  # fmt: skip
    assert str(refused.value) == f"bad model name 'iris\\n': expected {EXPECTED}"
    assert registry.list_models() == []


def test_an_endpoint_id_with_a_newline_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.yaml"
    path.write_text(yaml.safe_dump({"endpoints": [{"id": "bc\n", "model": "bc@production"}]}))
    with pytest.raises(ConfigError) as refused:
        read_endpoints_file(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:")
    assert f"bad endpoint id 'bc\\n': expected {EXPECTED}" in message
    assert "\n" not in message


def test_the_cli_refuses_an_unsafe_reference_with_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--registry", f"sqlite:///{tmp_path / 'r.db'}", "--artifacts", str(tmp_path / "a")]
    Registry(store[1], store[3]).close()  # it exists: the reference is what gets refused
    monkeypatch.setattr(sys, "argv", ["modelyard", *store, "models", "show", "bc:1\n"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: bad model reference 'bc:1\\n': expected 'name', 'name:VERSION' or "
        f"'name@alias' ({EXPECTED})"
    ]
