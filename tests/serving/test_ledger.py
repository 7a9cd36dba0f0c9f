"""Which variant answered each recent request: memory bounded, rows for what blocks cannot
hold, and numbers never written twice."""

from __future__ import annotations

import numpy as np

from modelyard.serving.ledger import Ledger
from modelyard.serving.served import _field_key


def test_the_newest_requests_are_kept_up_to_the_capacity() -> None:
    ledger = Ledger(persist=False, capacity=100)
    for n in range(1, 1001):
        ledger.add(f"r{n}", n, "primary", None)
    assert ledger.find("r1000", 60) is not None
    assert ledger.find("r901", 60) is not None
    assert ledger.find("r900", 60) is None  # forgotten: older than the newest 100
    assert len(ledger._recent) == 100


def test_an_answer_past_its_feedback_window_is_not_found() -> None:
    ledger = Ledger(persist=False)
    ledger.add("r1", 1, "primary", ["benign"])
    found = ledger.find("r1", 60)
    assert found is not None and (found.arm, found.labels) == ("primary", ["benign"])
    assert ledger.find("r1", -1) is None


def test_numbered_answers_go_to_a_block_and_the_rest_to_rows() -> None:
    ledger = Ledger(persist=True)
    ledger.add("abc-5", 5, "primary", ["benign"])
    ledger.add("client-chosen", None, "candidate", None)
    ledger.add("abc-6", 6, "candidate", ["benign", "malignant"])  # several instances
    rows, numbered = ledger.take_pending()
    assert list(numbered.numbers) == [5]
    assert rows == [
        ("client-chosen", "candidate", None),
        ("abc-6", "candidate", ["benign", "malignant"]),
    ]
    ledger.add("abc-4", 4, "primary", None)  # answered after number 5 was written
    rows, numbered = ledger.take_pending()
    assert len(numbered) == 0 and rows == [("abc-4", "primary", None)]


def test_a_sticky_field_is_read_the_same_way_from_every_form_of_payload() -> None:
    record = {"customer_id": "c-7", "x": 1.0}
    assert _field_key({"instances": [record]}, "customer_id") == b"c-7"
    assert _field_key([record], "customer_id") == b"c-7"  # a bare list of records
    json_v2 = {"inputs": [{"name": "customer_id", "data": ["c-7"]}]}
    binary_v2 = {"inputs": [{"name": "customer_id", "data": np.array([b"c-7"], dtype=object)}]}
    numbers = {"inputs": [{"name": "customer_id", "data": np.array([[7]], dtype=np.int64)}]}
    assert _field_key(json_v2, "customer_id") == _field_key(binary_v2, "customer_id") == b"c-7"
    assert (
        _field_key(numbers, "customer_id")
        == _field_key({"instances": [{"customer_id": 7}]}, "customer_id")
        == b"7"
    )
    nested = {"inputs": [{"name": "customer_id", "data": [[7]]}]}  # JSON nested by shape
    assert _field_key(nested, "customer_id") == b"7"
    assert _field_key({"inputs": 5}, "customer_id") is None  # the encoder says what is wrong
    assert _field_key({"instances": [record]}, "missing") is None
    assert _field_key({"instances": [[1.0, 2.0]]}, "customer_id") is None
