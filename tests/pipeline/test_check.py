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
        f"{path}:3: endpoints.1.model: model 'breast_cancer' has no version 7; versions: 1"
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


_NO_VERSION = "names no version: write {0}@ALIAS or {0}:VERSION"


@pytest.mark.parametrize(
    ("traffic", "expected"),
    [
        (
            "{strategy: shadow, shadows: [breast_cancer:1, breast_cancer]}",
            ":4: endpoints.0.traffic.shadows.1: Value error, model 'breast_cancer' "
            + _NO_VERSION.format("breast_cancer"),
        ),
        (
            "{strategy: shadow, shadows: [breast_cancer:1, breast_cancer:1]}",
            ":4: endpoints.0.traffic.shadows.1: Value error, 'breast_cancer:1' is listed twice: "
            "expected each ref once",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:two",
            ":6: endpoints.0.traffic.candidate: Value error, bad model reference "
            "'breast_cancer:two': expected 'name', 'name:VERSION' or 'name@alias'",
        ),
        (
            "\n  strategy: canary\n  candidate: iris:2",
            ":6: endpoints.0.traffic.candidate: Value error, expected a version of "
            "'breast_cancer', the model the canary replaces",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer@production",
            ":6: endpoints.0.traffic.candidate: Value error, the candidate is the primary "
            "itself: expected another version",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:2\n  steps:\n    - 5\n    - 0",
            ":9: endpoints.0.traffic.steps.1: Value error, 0 is not a percent in (0, 100)",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:2\n  steps: [5, 150]",
            ":7: endpoints.0.traffic.steps.1: Value error, 150 is not a percent in (0, 100)",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:2\n  steps: [25, 5]",
            ":7: endpoints.0.traffic.steps.1: Value error, 5 follows 25: steps must increase "
            "strictly",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:2\n  interval: 2h\n  deadline: 30m",
            ":8: endpoints.0.traffic.deadline: Value error, interval must be at most deadline: "
            "a step is judged after one interval, and a rollout still undecided at the "
            "deadline stops as inconclusive",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:2\n  interval: 2h",
            ":7: endpoints.0.traffic.interval: Value error, interval must be at most deadline",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:2\n  interval: soon",
            ":7: endpoints.0.traffic.interval: Value error, 'soon' is not a duration: expected "
            "e.g. 250ms, 60s, 5m, 1h or 30d",
        ),
        (
            "{strategy: ab, variants: {a: breast_cancer@production}}",
            ":4: endpoints.0.traffic.variants: Dictionary should have at least 2 items after "
            "validation, not 1",
        ),
        (
            "\n  strategy: ab\n  variants:\n    a: breast_cancer@production\n"
            "    b/2: breast_cancer:2",
            ":8: endpoints.0.traffic.variants.b/2: Value error, bad variant name 'b/2': expected "
            "letters, digits, '_', '-' or '.'",
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer@production, b: breast_cancer}",
            ":6: endpoints.0.traffic.variants.b: Value error, model 'breast_cancer' "
            + _NO_VERSION.format("breast_cancer"),
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer@production, b: breast_cancer:2}\n"
            "  weights: {a: 50, c: 50}",
            ":7: endpoints.0.traffic.weights: Value error, expected a percent for each variant "
            "and nothing else; missing b; not a variant: c",
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer@production, b: breast_cancer:2}\n"
            "  weights:\n    a: 120\n    b: 0",
            ":8: endpoints.0.traffic.weights.a: Value error, 120 is not a percent in [0, 100]",
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer@production, b: breast_cancer:2}\n"
            "  weights: {a: 60, b: 30}",
            ":7: endpoints.0.traffic.weights: Value error, weights sum to 90, expected 100",
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer@production, b: breast_cancer:2}\n"
            "  sticky: cookie:user",
            ":7: endpoints.0.traffic.sticky: Value error, expected header:NAME (an HTTP header) "
            "or field:NAME (a field of each instance)",
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer@production, b: breast_cancer:2}\n"
            "  sticky: 'header:X User'",
            ":7: endpoints.0.traffic.sticky: Value error, bad header name 'X User': expected "
            "letters, digits and !#$%&'*+-.^_`|~ (an HTTP header name)",
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer@production, b: breast_cancer:2}\n"
            "  sticky: 'field:'",
            ":7: endpoints.0.traffic.sticky: Value error, bad field name '': expected letters",
        ),
        (
            "\n  strategy: ab\n  variants: {a: breast_cancer:1, b: breast_cancer:2}",
            ":6: endpoints.0.traffic.variants: Value error, expected the endpoint's model among "
            "the variants: it is the primary, the variant that answers when the experiment stops",
        ),
        (
            "{strategy: bandit, variants: [breast_cancer@production]}",
            ":4: endpoints.0.traffic.variants: List should have at least 2 items after "
            "validation, not 1",
        ),
        (
            "\n  strategy: bandit\n  variants:\n    - breast_cancer@production\n"
            "    - breast_cancer:2\n    - breast_cancer:2",
            ":9: endpoints.0.traffic.variants.2: Value error, 'breast_cancer:2' is listed "
            "twice: expected each ref once",
        ),
        (
            "\n  strategy: bandit\n  variants: [breast_cancer:1, breast_cancer:2]",
            ":6: endpoints.0.traffic.variants: Value error, expected the endpoint's model among "
            "the variants: it is the primary, the arm that answers when the rollout stops",
        ),
        (
            "\n  percent: 50",
            ":5: endpoints.0.traffic.strategy: expected one of single, shadow, canary, ab, bandit",
        ),
        (
            "\n  strategy: blue-green",
            ":5: endpoints.0.traffic.strategy: expected one of single, shadow, canary, ab, bandit",
        ),
        (
            "\n  strategy: canary\n  candidate: breast_cancer:2\n  weights: {a: 100}",
            ":7: endpoints.0.traffic.weights: Extra inputs are not permitted",
        ),
        (
            "\n  strategy: shadow\n  shadows: [breast_cancer:2]\n  percent: 101",
            ":7: endpoints.0.traffic.percent: Input should be less than or equal to 100",
        ),
    ],
)
def test_a_bad_traffic_block_is_reported_at_the_line_to_edit(run, traffic, expected):
    result, path = run(
        f"""
        endpoints:
          - id: a
            model: breast_cancer@production
            traffic: {textwrap.indent(traffic, " " * 12).lstrip(" ")}
        """
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    errors = _errors(result)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{path}{expected}")


def test_a_canary_needs_an_aliased_primary(run):
    result, path = run(
        """
        endpoints:
          - id: a
            model: breast_cancer:1
            traffic: {strategy: canary, candidate: breast_cancer:2}
        """
    )
    assert result.exit_code == 2
    assert _errors(result) == [
        f"{path}:3: endpoints.0.model: Value error, a canary promotes its candidate by moving "
        "the primary's alias: expected model: NAME@ALIAS, not a version number"
    ]


def _rows(result) -> list[list[str]]:
    """The table's body rows (the header is drawn with other lines), cells stripped."""
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in result.output.splitlines()
        if line.startswith("│")
    ]


def test_every_arm_of_every_rollout_is_loaded_and_listed(
    run, registry, bc_sklearn_package, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "200")  # one table line per row
    registry.register(bc_sklearn_package)
    result, _ = run(
        """
        endpoints:
          - id: cc
            model: breast_cancer@production
            traffic: {strategy: canary, candidate: breast_cancer:2, steps: [10, 50]}
          - id: ab
            model: breast_cancer@production
            traffic:
              strategy: ab
              variants: {a: breast_cancer@production, b: breast_cancer:2}
              weights: {a: 70, b: 30}
              sticky: header:X-User-Id
          - id: bandit
            model: breast_cancer@production
            traffic: {strategy: bandit, variants: [breast_cancer:2, breast_cancer@production]}
          - id: shadow
            model: breast_cancer@production
            traffic: {strategy: shadow, shadows: [breast_cancer:2], percent: 25}
        """
    )
    assert result.exit_code == 0, result.output
    assert _rows(result) == [
        ["cc", "primary", "breast_cancer@production", "1", "manifest", "OK"],
        ["cc", "candidate", "breast_cancer:2", "2", "manifest", "OK"],
        ["ab", "a", "breast_cancer@production", "1", "manifest", "OK"],
        ["ab", "b", "breast_cancer:2", "2", "manifest", "OK"],
        ["bandit", "breast_cancer@production", "breast_cancer@production", "1", "manifest", "OK"],
        ["bandit", "breast_cancer:2", "breast_cancer:2", "2", "manifest", "OK"],
        ["shadow", "primary", "breast_cancer@production", "1", "manifest", "OK"],
        ["shadow", "breast_cancer:2", "breast_cancer:2", "2", "manifest", "OK"],
    ]


def test_an_arm_that_does_not_resolve_points_at_its_ref(run):
    result, path = run(
        """
        endpoints:
          - id: a
            model: breast_cancer@production
            traffic:
              strategy: ab
              variants:
                a: breast_cancer@production
                b: breast_cancer:7
        """
    )
    assert result.exit_code == 2
    assert _errors(result) == [
        f"{path}:8: endpoints.0.traffic.variants.b: model 'breast_cancer' has no version 7; "
        "versions: 1"
    ]
    assert "OK" in result.output  # arm a


def test_an_arm_that_fails_to_load_points_at_its_ref(run, registry, bc_sklearn_package):
    candidate = registry.register(bc_sklearn_package)
    model_file = registry.fetch(candidate) / candidate.manifest.model_file
    model_file.write_bytes(b"tampered")
    result, path = run(
        """
        endpoints:
          - id: a
            model: breast_cancer@production
            traffic:
              strategy: shadow
              shadows:
                - breast_cancer:2
        """
    )
    assert result.exit_code == 2
    [line] = _errors(result)
    assert line.startswith(f"{path}:7: endpoints.0.traffic.shadows.0: breast_cancer:2: ")
    assert "does not match its manifest: model.joblib changed" in line


def test_agreement_asked_of_a_model_without_labels_is_refused(run, registry, diabetes_package):
    first = registry.register(diabetes_package)
    registry.register(diabetes_package)
    registry.set_alias(first.name, "production", first.version, reason="primary")
    result, path = run(
        f"""
        endpoints:
          - id: sugar
            model: {first.name}@production
            traffic:
              strategy: canary
              candidate: {first.name}:{first.version + 1}
              min_agreement: 0.9
        """
    )
    assert result.exit_code == 2
    errors = _errors(result)
    assert errors and errors[0] == (
        f"{path}:7: endpoints.0.traffic.min_agreement: {first.name}@production predicts no "
        "labels, so min_agreement can never be judged (each step would end inconclusive): "
        "remove it, or use a classifier"
    )


def test_monitoring_without_a_logged_request_is_refused_at_sample_rate(run):
    result, path = run(
        """
        endpoints:
          - id: breast-cancer
            model: breast_cancer@production
            monitoring: {drift_every: 5m}
        """
    )

    assert result.exit_code == 2
    assert _errors(result) == [
        f"{path}:4: endpoints.0.monitoring: Value error, monitoring reads the prediction log: "
        "set logging.sample_rate above 0 (e.g. 0.1) for it to have requests to judge"
    ]


def test_the_gates_file_monitoring_names_is_checked(run, tmp_path: Path):
    gates = tmp_path / "live-gates.yaml"
    monitored = f"""
        endpoints:
          - id: breast-cancer
            model: breast_cancer@production
            logging: {{sample_rate: 0.1}}
            monitoring: {{gates: {gates}}}
        """
    gates.write_text("gates:\n  - {metric: f1_macro, mni: 0.9}\n")
    result, _ = run(monitored)

    assert result.exit_code == 2
    assert _errors(result) == [f"{gates}:2: gates.0.mni: Extra inputs are not permitted"]

    gates.write_text("gates:\n  - {metric: f1_macro, min: 0.9}\n")
    result, _ = run(monitored)

    assert result.exit_code == 0, result.output
    assert f"{gates}: 1 gates OK" in " ".join(result.output.split())  # rich wraps long paths
