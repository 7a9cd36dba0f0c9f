"""``modelyard check``: every bad file is one or more ``file:line: message`` lines, exit 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from modelyard.cli.check import check


@pytest.fixture()
def run(registry, bc_package, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_ARTIFACTS", registry.artifacts_url)
    version = registry.register(bc_package)
    registry.set_alias("breast_cancer", "production", version.version, reason="first")
    app = typer.Typer()
    app.command()(check)
    app.command("noop")(lambda: None)  # keeps `check` a named sub-command, as in the real CLI

    def invoke(text: str):
        path = tmp_path / "endpoints.yaml"
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        result = CliRunner().invoke(app, ["check", str(path), "--registry", registry.url])
        return result, str(path)

    return invoke


def test_a_good_file_lists_each_endpoint_and_its_version(run):
    result, _ = run(
        """
        endpoints:
          - id: breast-cancer
            model: breast_cancer@production
        """
    )
    assert result.exit_code == 0, result.output
    assert "breast-cancer" in result.output and "OK" in result.output


def _errors(result) -> list[str]:
    return [line.removeprefix("error: ") for line in result.output.splitlines() if ".yaml:" in line]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            """
            endpoints:
              - id: a
                model: breast_cancer@production
                batching: {max_batch_size: 0}
            """,
            ":4: endpoints.0.batching.max_batch_size: Input should be greater than or equal to 1",
        ),
        (
            """
            endpoints:
              - id: a
                model: breast_cancer@staging
            """,
            ":3: endpoints.0.model: no alias 'staging' on 'breast_cancer'; aliases: production",
        ),
        (
            """
            endpoints:
              - id: a
                model: breast_cancer:1
                pipeline:
                  postprocess:
                    - name: sofmax
            """,
            ":6: endpoints.0.pipeline.postprocess.0.name: unknown postprocessor 'sofmax'; known: "
            "affine, argmax, label_map, sigmoid, softmax, threshold, top_k",
        ),
        (
            """
            endpoints:
              - id: a
                model: breast_cancer:1
                pipeline:
                  postprocess:
                    - name: threshold
                      args:
                        threshold: 2
            """,
            ":8: endpoints.0.pipeline.postprocess.0.args.threshold: postprocessor 'threshold': "
            "Input should be less than or equal to 1",
        ),
        (
            """
            endpoints:
              - {id: a, model: breast_cancer:1}
              - {id: a, model: breast_cancer:1}
            """,
            ":3: endpoints.1.id: endpoint id 'a' is already used by endpoints.0",
        ),
        (
            """
            endpoints:
              - id: a
                model: breast_cancer:1
                  bad: indent
            """,
            ":4: not valid YAML: mapping values are not allowed here",
        ),
        (
            """
            endpoints:
              - id: a
                modle: breast_cancer:1
            """,
            ":2: endpoints.0.model: Field required",
        ),
    ],
)
def test_a_bad_file_is_reported_with_file_and_line(run, text, expected):
    result, path = run(text)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}{expected}" in _errors(result)[0]


def test_every_bad_endpoint_of_a_file_is_reported(run):
    result, path = run(
        """
        endpoints:
          - {id: a, model: nope:1}
          - {id: b, model: breast_cancer:7}
          - {id: c, model: breast_cancer:1}
        """
    )
    assert result.exit_code == 2
    errors = _errors(result)
    assert errors[0].startswith(f"{path}:2: endpoints.0.model: no model 'nope'")
    assert errors[1].startswith(
        f"{path}:3: endpoints.1.model: model 'breast_cancer' has no version 7"
    )
    assert "OK" in result.output  # endpoint c


def test_a_missing_file_is_one_line(run, tmp_path: Path):
    app = typer.Typer()
    app.command()(check)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'none.yaml'}: no such file" in result.output


def test_a_model_that_fails_to_load_points_at_its_ref(run, registry):
    version = registry.get("breast_cancer:1")
    model_file = registry.fetch(version) / version.manifest.model_file
    model_file.write_bytes(b"tampered")
    result, path = run("endpoints: [{id: a, model: breast_cancer@production}]\n")
    assert result.exit_code == 2
    line = _errors(result)[0]
    assert line.startswith(f"{path}:1: endpoints.0.model: breast_cancer@production: ")
    assert "model.onnx" in line
