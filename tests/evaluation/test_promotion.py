"""Gated promotion: the alias moves only when every gate passes, or with a recorded --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.core.errors import ConfigError, GateFailedError
from modelyard.evaluation import GatesRefusedError, promote
from modelyard.evaluation.promotion import check_gates

GATES = {
    "gates": [
        {"metric": "f1_macro", "min": 0.80},
        {"metric": "precision[malignant]", "min": 0.80},
        {"metric": "balanced_accuracy", "min": 0.70, "on": "lower_bound"},
        {"metric": "f1_macro", "max_drop_vs_champion": 0.01},
        {"not_majority": True},
        {"min_rows": 100},
    ]
}
BOOTSTRAP = 20


def _promote(registry, ref, data, **kwargs):
    return promote(
        ref,
        "production",
        data,
        "target",
        kwargs.pop("gates", GATES),
        registry=registry,
        bootstrap=BOOTSTRAP,
        **kwargs,
    )


def test_a_version_that_passes_every_gate_is_promoted(bc, imbalanced):
    promotion = _promote(bc, "bc:1", imbalanced.test)
    assert promotion.passed and not promotion.forced
    assert bc.aliases("bc") == {"production": 1}
    assert promotion.event is not None and promotion.event.to_version == 1
    assert promotion.event.reason.startswith("6 gates passed on data ")


def test_a_majority_classifier_is_refused_and_the_alias_stays(bc, imbalanced):
    with pytest.raises(GatesRefusedError) as refused:
        _promote(bc, "bc:2", imbalanced.test)
    promotion = refused.value.promotion
    assert {v.gate for v in promotion.failed} == {
        "f1_macro",
        "precision[malignant]",
        "balanced_accuracy (lower bound)",
        "not_majority",
    }
    assert promotion.result.metrics["accuracy"] > 0.9
    assert str(refused.value).startswith(
        "bc:2 not promoted to @production: 4 of 6 gates failed: f1_macro ("
    )
    assert isinstance(refused.value, GateFailedError)
    assert "production" not in bc.aliases("bc")


def test_the_champion_is_the_current_target_of_the_alias(bc, imbalanced):
    _promote(bc, "bc:1", imbalanced.test)
    gates = {"gates": [{"metric": "f1_macro", "max_drop_vs_champion": 0.01}]}
    with pytest.raises(GatesRefusedError) as refused:
        _promote(bc, "bc:2", imbalanced.test, gates=gates)
    verdict = refused.value.promotion.verdicts[0]
    assert verdict.gate == "f1_macro vs champion" and "(v1)" in verdict.value
    assert refused.value.promotion.champion is not None
    assert bc.aliases("bc") == {"production": 1}


def test_force_moves_the_alias_and_the_audit_log_records_it(bc, imbalanced):
    promotion = _promote(bc, "bc:2", imbalanced.test, force=True, reason="hotfix for ticket 42")
    assert promotion.forced and not promotion.passed
    assert bc.aliases("bc") == {"production": 2}
    event = bc.alias_history("bc", "production")[-1]
    assert event.forced
    assert event.reason == (
        "hotfix for ticket 42 (forced past failed gates: f1_macro, precision[malignant], "
        "balanced_accuracy (lower bound), not_majority)"
    )


def test_force_without_a_reason_is_refused(bc, imbalanced):
    with pytest.raises(ConfigError, match="--force needs --reason"):
        _promote(bc, "bc:2", imbalanced.test, force=True)


def test_force_on_passing_gates_is_not_recorded_as_forced(bc, imbalanced):
    promotion = _promote(bc, "bc:1", imbalanced.test, force=True, reason="release")
    assert not promotion.forced
    assert not bc.alias_history("bc", "production")[-1].forced


def test_gate_names_are_checked_before_anything_is_evaluated(bc, imbalanced):
    gates = {"gates": [{"metric": "precision[cancer]", "min": 0.8}]}
    with pytest.raises(
        ConfigError, match="unknown class 'cancer'; known classes: malignant, benign, 0, 1"
    ):
        _promote(bc, "bc:1", imbalanced.test, gates=gates)
    assert bc.alias_history("bc") == []


def test_promote_then_roll_back(bc, imbalanced):
    _promote(bc, "bc:1", imbalanced.test)
    _promote(bc, "bc:2", imbalanced.test, force=True, reason="experiment")
    bc.rollback("bc", "production")
    assert bc.aliases("bc") == {"production": 1}


def test_promoting_the_champion_again_compares_it_with_itself(bc, imbalanced):
    _promote(bc, "bc:1", imbalanced.test)
    promotion = _promote(bc, "bc:1", imbalanced.test)
    verdict = next(v for v in promotion.verdicts if v.gate == "f1_macro vs champion")
    assert verdict.passed and "(is the champion)" in verdict.value


def test_the_example_gates_file_is_valid():
    path = Path(__file__).parents[2] / "examples" / "ci" / "gates.yaml"
    assert len(check_gates(path)) == 7
