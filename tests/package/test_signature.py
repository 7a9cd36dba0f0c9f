"""to_feeds turns user data into runner feeds, naming whatever does not fit the signature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.core.errors import PayloadError
from modelyard.package.manifest import ColumnSpec, Signature, TensorSpec
from modelyard.package.signature import columns_of, from_feeds, to_feeds

STACKED = Signature(
    inputs=[TensorSpec(name="input", dtype="float32", shape=[None, 2])],
    outputs=[TensorSpec(name="variable", dtype="float32", shape=[None, 1])],
    columns=[ColumnSpec(name="a", dtype="int64"), ColumnSpec(name="b", dtype="float64")],
)
PER_COLUMN = Signature(
    inputs=[
        TensorSpec(name="age", dtype="float32", shape=[None, 1]),
        TensorSpec(name="city", dtype="string", shape=[None, 1]),
    ],
    outputs=[TensorSpec(name="label", dtype="int64", shape=[None])],
    columns=[
        ColumnSpec(name="age", dtype="int64"),
        ColumnSpec(name="city", dtype="string", categorical=True),
    ],
)


def test_dataframe_columns_are_stacked_in_signature_order() -> None:
    frame = pd.DataFrame({"b": [0.5, 1.5], "a": [1, 2], "extra": ["x", "y"]})

    feeds = to_feeds(STACKED, frame)

    assert feeds["input"].dtype == np.float32
    np.testing.assert_array_equal(feeds["input"], [[1, 0.5], [2, 1.5]])


def test_rows_as_lists_and_as_dicts_give_the_same_feeds() -> None:
    as_lists = to_feeds(STACKED, [[1, 0.5], [2, 1.5]])
    as_dicts = to_feeds(STACKED, [{"a": 1, "b": 0.5}, {"b": 1.5, "a": 2}])

    np.testing.assert_array_equal(as_lists["input"], as_dicts["input"])


def test_each_column_feeds_its_own_input() -> None:
    feeds = to_feeds(PER_COLUMN, [{"age": 30, "city": "Oslo"}, {"age": 41, "city": "Lima"}])

    assert feeds["age"].dtype == np.float32 and feeds["age"].shape == (2, 1)
    assert feeds["city"].dtype == object and feeds["city"].tolist() == [["Oslo"], ["Lima"]]


def test_missing_columns_are_named() -> None:
    with pytest.raises(PayloadError) as caught:
        to_feeds(PER_COLUMN, [{"age": 30}])

    assert str(caught.value) == (
        "payload does not fit the signature: /city: expected a column, got nothing"
    )
    assert caught.value.problems == [{"pointer": "/city", "expected": "a column", "got": "nothing"}]


def test_rows_of_the_wrong_width_are_refused() -> None:
    with pytest.raises(
        PayloadError, match=r"expected rows of 2 values, got an array of shape \[1, 3\]"
    ):
        to_feeds(STACKED, [[1, 2, 3]])


def test_text_in_a_numeric_column_names_the_type_not_the_value() -> None:
    with pytest.raises(PayloadError) as caught:
        to_feeds(PER_COLUMN, [{"age": "thirty", "city": "Oslo"}])

    assert (
        str(caught.value) == "payload does not fit the signature: /age: expected float32, got str"
    )


def test_from_feeds_restores_names_and_dtypes() -> None:
    frame = from_feeds(STACKED, to_feeds(STACKED, [[1, 0.5]]))

    assert list(frame.columns) == ["a", "b"]
    assert frame.dtypes.astype(str).tolist() == ["int64", "float64"]


def test_columns_of_reads_dtypes_and_categories() -> None:
    frame = pd.DataFrame(
        {
            "n": np.array([1, 2], dtype=np.int32),
            "f": [0.1, 0.2],
            "s": ["a", "b"],
            "c": pd.Categorical(["x", "y"]),
            "flag": [True, False],
        }
    )

    assert [(c.name, c.dtype, c.categorical) for c in columns_of(frame)] == [
        ("n", "int32", False),
        ("f", "float64", False),
        ("s", "string", True),
        ("c", "string", True),
        ("flag", "bool", False),
    ]
