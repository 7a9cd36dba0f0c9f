"""Comparing two models' answers to the same request."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelyard.registry.rollout_types import ArmCounters
from modelyard.routing.agreement import compare


def test_classifier_rows_compare_labels_and_scores() -> None:
    primary = [
        {"label": "malignant", "score": 0.9, "probabilities": {"malignant": 0.9, "benign": 0.1}},
        {"label": "benign", "score": 0.8},
        {"label": "benign", "score": 0.6},
    ]
    other = [
        {"label": "malignant", "score": 0.7},
        {"label": "benign", "score": 0.8},
        {"label": "malignant", "score": 0.55},
    ]
    counters = compare(primary, other)
    assert (counters.labels_compared, counters.labels_agreed) == (3, 2)
    assert counters.values_compared == 3
    assert counters.absdiff_sum == pytest.approx(0.25)
    assert counters.absdiff_max == pytest.approx(0.2)


def test_only_the_comparison_fields_are_set() -> None:
    counters = compare([{"label": 1}], [{"label": 1}])
    assert counters == ArmCounters(labels_compared=1, labels_agreed=1)


def test_regression_rows_compare_every_value() -> None:
    counters = compare([{"value": 1.0}, {"value": 2.0}], [{"value": 1.5}, {"value": 1.0}])
    assert counters == ArmCounters(values_compared=2, absdiff_sum=1.5, absdiff_max=1.0)


def test_multi_target_regression_compares_each_target() -> None:
    counters = compare([{"value": [1.0, 2.0]}], [{"value": [1.25, 2.0]}])
    assert counters == ArmCounters(values_compared=2, absdiff_sum=0.25, absdiff_max=0.25)


def test_raw_rows_compare_the_numbers_of_shared_outputs() -> None:
    primary = [{"logits": [[0.5, 1.0]], "name": "x", "only_mine": 3.0}]
    other = [{"logits": [[0.0, 1.0]], "name": "y"}]
    counters = compare(primary, other)
    assert counters == ArmCounters(values_compared=2, absdiff_sum=0.5, absdiff_max=0.5)


def test_integer_and_string_arrays_compare_as_labels_row_by_row() -> None:
    primary = {"label": np.array([0, 1, 1, 0]), "tags": np.array([["a", "b"], ["c", "d"]])}
    other = {"label": np.array([0, 1, 0, 0]), "tags": np.array([["a", "b"], ["c", "x"]])}
    counters = compare(primary, other)
    assert (counters.labels_compared, counters.labels_agreed) == (6, 4)
    assert counters.values_compared == 0


def test_float_arrays_compare_as_values() -> None:
    primary = {"probabilities": np.array([[0.2, 0.8], [0.5, 0.5]], dtype=np.float32)}
    other = {"probabilities": np.array([[0.3, 0.7], [0.5, 0.5]])}
    counters = compare(primary, other)
    assert counters.values_compared == 4
    assert counters.absdiff_sum == pytest.approx(0.2, abs=1e-6)
    assert counters.absdiff_max == pytest.approx(0.1, abs=1e-6)


def test_arrays_of_other_names_are_left_out() -> None:
    counters = compare(
        {"label": np.array([1]), "extra": np.array([1.0])},
        {"label": np.array([1]), "other": np.array([2.0])},
    )
    assert counters == ArmCounters(labels_compared=1, labels_agreed=1)


def test_non_finite_values_are_not_compared() -> None:
    counters = compare({"y": np.array([1.0, np.nan])}, {"y": np.array([2.0, 1.0])})
    assert counters == ArmCounters(values_compared=1, absdiff_sum=1.0, absdiff_max=1.0)


@pytest.mark.parametrize(
    ("primary", "other"),
    [
        ([{"label": 1}, {"label": 0}], [{"label": 1}]),
        ([{"value": [1.0, 2.0]}], [{"value": 1.0}]),
        ([{"label": 1}], [{"value": 1.0}]),
        ([{"label": 1}], ["not a row"]),
        ({"y": np.array([1.0, 2.0])}, {"y": np.array([1.0, 2.0, 3.0])}),
        ({"y": np.array([[1.0, 2.0]])}, {"y": np.array([1.0, 2.0])}),
        ({"y": np.array([1.0])}, {"z": np.array([1.0])}),
        ({"y": np.array([1.0])}, {"y": np.array(["a"])}),
        ({"y": np.array(1.0)}, {"y": np.array(1.0)}),
        ([{"label": 1}], {"label": np.array([1])}),
        (None, None),
    ],
    ids=[
        "rows",
        "targets",
        "kinds",
        "not-dicts",
        "array-rows",
        "array-shapes",
        "no-shared-name",
        "float-vs-string",
        "scalar",
        "list-vs-arrays",
        "nothing",
    ],
)
def test_answers_of_another_form_compare_nothing(primary: object, other: object) -> None:
    assert compare(primary, other) == ArmCounters()


def test_empty_answers_compare_nothing_without_failing() -> None:
    assert compare({"label": np.array([], dtype=int)}, {"label": np.array([], dtype=int)}) == (
        ArmCounters()
    )
    assert compare([], []) == ArmCounters()


_LEAF = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3)
_JSON = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@given(_JSON, _JSON)
def test_any_two_json_answers_compare_without_raising(primary: object, other: object) -> None:
    counters = compare(primary, other)
    assert counters.labels_agreed <= counters.labels_compared
    assert counters.absdiff_max <= counters.absdiff_sum or counters.values_compared == 0


def test_numbers_beyond_a_float_are_left_out() -> None:
    counters = compare([{"value": [10**400, 1.0]}], [{"value": [1, 3.0]}])
    assert counters == ArmCounters(values_compared=1, absdiff_sum=2.0, absdiff_max=2.0)


def test_ragged_arrays_compare_nothing() -> None:
    assert compare({"a": [[1, 2], [3]]}, {"a": [[1, 2], [3]]}) == ArmCounters()


_ARRAY = st.lists(st.integers(-3, 3) | st.floats() | st.text(max_size=2), max_size=4).map(
    lambda values: np.array(values, dtype=object if values else float)
) | st.lists(st.floats(), max_size=4).map(np.array)


@given(
    st.dictionaries(st.sampled_from("ab"), _ARRAY), st.dictionaries(st.sampled_from("ab"), _ARRAY)
)
def test_any_two_sets_of_arrays_compare_without_raising(primary: object, other: object) -> None:
    counters = compare(primary, other)
    assert counters.labels_agreed <= counters.labels_compared
