"""Gates: the YAML file, names checked before evaluating, and a verdict for every gate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from evaltools import ISSUE_EXAMPLE, outcomes_of

from modelyard.core.errors import ConfigError
from modelyard.evaluation.assess import Settings, Subject, assess
from modelyard.evaluation.gates import Gate, load_gates, parse_gates, resolve_gates
from modelyard.evaluation.names import MetricNames
from modelyard.evaluation.result import EvaluationResult
from modelyard.evaluation.verdicts import judge

SUBJECT = Subject("bc", 1, "digest", "onnx", {"0": "malignant", "1": "benign"})


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(text)
    return path


def _evaluate(model, data, version: int) -> EvaluationResult:
    subject = Subject("bc", version, "digest", "onnx", SUBJECT.class_aliases)
    return assess(outcomes_of(model, data), data.test, subject, Settings("target", bootstrap=30))


@pytest.fixture(scope="module")
def good(imbalanced, good_model) -> EvaluationResult:
    return _evaluate(good_model, imbalanced, version=1)


@pytest.fixture(scope="module")
def majority(imbalanced, majority_model) -> EvaluationResult:
    return _evaluate(majority_model, imbalanced, version=2)


def _gates(text: str) -> list[Gate]:
    return parse_gates(yaml.safe_load(text))


def _verdicts(text: str, result: EvaluationResult, champion: EvaluationResult | None = None):
    gates = _gates(text)
    resolved = resolve_gates(gates, result.names(), task=result.task, intervals=True)
    return {v.gate: v for v in judge(gates, resolved, result, champion)}


def test_the_issue_example_file_loads(tmp_path):
    gates = load_gates(_write(tmp_path, ISSUE_EXAMPLE))
    assert len(gates) == 6


def test_a_majority_classifier_fails_f1_and_not_majority(majority):
    failed = {gate for gate, v in _verdicts(ISSUE_EXAMPLE, majority).items() if not v.passed}
    assert majority.metrics["accuracy"] > 0.9
    assert failed == {
        "f1_macro",
        "precision[malignant]",
        "balanced_accuracy (lower bound)",
        "not_majority",
    }


def test_a_real_classifier_passes_every_gate(good):
    verdicts = _verdicts(ISSUE_EXAMPLE, good)
    assert all(v.passed for v in verdicts.values()), verdicts


def test_a_class_can_be_named_by_its_raw_label(good):
    verdicts = _verdicts('gates: [{metric: "recall[0]", min: 0.5}]', good)
    assert verdicts["recall[0]"].value == f"{good.per_class['malignant']['recall']:.4f}"


def test_the_lower_bound_is_stricter_than_the_point_value(good):
    result = good
    point = result.metrics["f1_macro"]
    low = result.intervals["f1_macro"].low
    threshold = (point + low) / 2
    text = (
        f"gates: [{{metric: f1_macro, min: {threshold}}}, "
        f"{{metric: f1_macro, min: {threshold}, on: lower_bound}}]"
    )
    verdicts = _verdicts(text, result)
    assert verdicts["f1_macro"].passed
    assert not verdicts["f1_macro (lower bound)"].passed


def test_a_drop_against_the_champion_beyond_the_limit_fails(good, majority):
    text = "gates: [{metric: f1_macro, max_drop_vs_champion: 0.01}]"
    verdict = _verdicts(text, majority, good)["f1_macro vs champion"]
    assert not verdict.passed
    assert "(v1)" in verdict.value
    assert _verdicts(text, good, majority)["f1_macro vs champion"].passed


def test_a_loss_that_grows_is_a_drop(good, majority):
    text = "gates: [{metric: log_loss, max_drop_vs_champion: 0.01}]"
    assert not _verdicts(text, majority, good)["log_loss vs champion"].passed


def test_without_a_champion_the_comparison_passes(good):
    text = "gates: [{metric: f1_macro, max_drop_vs_champion: 0.0}]"
    verdict = _verdicts(text, good)["f1_macro vs champion"]
    assert verdict.passed and "no champion yet" in verdict.value


def test_min_rows(imbalanced, good):
    verdict = _verdicts("gates: [{min_rows: 1000}]", good)
    assert not verdict["min_rows"].passed
    assert verdict["min_rows"].value == str(len(imbalanced.test))


def test_an_unknown_metric_lists_the_known_ones():
    names = MetricNames(["accuracy", "f1_macro"], ["malignant", "benign"])
    gates = _gates("gates: [{metric: f1, min: 0.5}]")
    with pytest.raises(ConfigError) as error:
        resolve_gates(gates, names, task="classification", intervals=True)
    assert str(error.value).startswith(
        "unknown metric 'f1'; known metrics: accuracy, f1_macro, precision[malignant], "
    )


def test_an_unknown_class_lists_the_known_ones():
    names = MetricNames(["f1_macro"], ["malignant", "benign"], {"0": "malignant", "1": "benign"})
    gates = parse_gates({"gates": [{"metric": "precision[cancer]", "min": 0.5}]})
    with pytest.raises(
        ConfigError, match="unknown class 'cancer'; known classes: malignant, benign, 0, 1"
    ):
        resolve_gates(gates, names, task="classification", intervals=True)


def test_a_lower_bound_on_a_per_class_metric_is_refused():
    names = MetricNames(["f1_macro"], ["a", "b"])
    gates = parse_gates({"gates": [{"metric": "f1[a]", "min": 0.5, "on": "lower_bound"}]})
    with pytest.raises(ConfigError, match="only headline metrics have bootstrap intervals"):
        resolve_gates(gates, names, task="classification", intervals=True)


def test_not_majority_on_a_regression_is_refused():
    gates = parse_gates({"gates": [{"not_majority": True}]})
    with pytest.raises(ConfigError, match="not_majority applies to classification"):
        resolve_gates(gates, MetricNames(["mae"]), task="regression", intervals=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gates:\n  - {metric: f1_macro}\n", "gates.yaml:2: gates.0: Value error, give 'min'"),
        (
            "gates:\n  - {metric: f1_macro, min: 0.8, above: 1}\n",
            "gates.yaml:2: gates.0.above: Extra inputs are not permitted",
        ),
        (
            "gates:\n  - {metric: f1_macro, min: 0.8}\n  - {speed: 3}\n",
            "gates.yaml:3: gates.1: expected a gate with one of 'metric', 'not_majority', "
            "'min_rows'",
        ),
        ("gates:\n  - min_rows: -1\n", "gates.yaml:2: gates.0.min_rows: Input should be greater"),
        ("gates: []\n", "'gates' is empty"),
        ("- {min_rows: 1}\n", "expected a mapping with a 'gates' list"),
        ("gates: [\n", "not valid YAML"),
    ],
)
def test_a_bad_gates_file_names_the_line(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        load_gates(_write(tmp_path, text))
    assert message in str(error.value)
