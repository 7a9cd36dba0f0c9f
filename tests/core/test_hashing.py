"""Data fingerprints: stable, order-sensitive over rows, sensitive to every value."""

import subprocess
import sys

import numpy as np
import pandas as pd

from modelyard.core.hashing import as_frame, data_fingerprint, hash_rows_set, row_hashes


def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})


def test_the_fingerprint_is_the_same_in_another_process() -> None:
    code = (
        "import pandas as pd; from modelyard.core.hashing import data_fingerprint; "
        "print(data_fingerprint(pd.DataFrame({'a': [1.0, 2.0, 3.0], 'b': ['x', 'y', 'z']})))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == data_fingerprint(frame())


def test_changing_one_value_in_the_last_row_changes_the_fingerprint() -> None:
    changed = frame()
    changed.loc[2, "a"] = 3.0000001
    assert data_fingerprint(changed) != data_fingerprint(frame())


def test_renaming_a_column_changes_the_fingerprint() -> None:
    assert data_fingerprint(frame().rename(columns={"a": "c"})) != data_fingerprint(frame())


def test_arrays_and_frames_of_the_same_values_hash_alike() -> None:
    values = np.arange(6.0).reshape(3, 2)
    named = pd.DataFrame(values, columns=["x0", "x1"])
    assert data_fingerprint(values) == data_fingerprint(named)
    assert data_fingerprint(values.tolist()) == data_fingerprint(named)


def test_an_arrays_columns_are_named_as_scikit_learn_names_unnamed_features() -> None:
    assert list(as_frame(np.zeros((2, 3))).columns) == ["x0", "x1", "x2"]
    assert list(as_frame([1.0, 2.0]).columns) == ["x0"]


def test_row_set_digest_ignores_order() -> None:
    hashes = row_hashes(frame())
    assert hash_rows_set(hashes) == hash_rows_set(hashes[::-1])
