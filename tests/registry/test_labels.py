"""The labels store: one label per request instance, corrections replace, bulk in one go."""

from __future__ import annotations

import time
from datetime import timedelta

from modelyard.registry import Registry
from modelyard.registry.labels import Label
from modelyard.registry.schema import utcnow


def test_new_labels_are_counted_and_read_back(registry: Registry) -> None:
    count = registry.labels.add("fraud", [Label("r1", 0, "yes"), Label("r1", 1, "no")], "ann")
    assert (count.new, count.replaced) == (2, 0)
    stored = sorted(registry.labels.since("fraud"))
    assert [(s.request_id, s.instance, s.label, s.actor) for s in stored] == [
        ("r1", 0, "yes", "ann"),
        ("r1", 1, "no", "ann"),
    ]


def test_a_newer_label_replaces_the_older_one(registry: Registry) -> None:
    registry.labels.add("fraud", [Label("r1", 0, "yes")], "ann")
    count = registry.labels.add("fraud", [Label("r1", 0, "no"), Label("r2", 0, "no")], "bob")
    assert (count.new, count.replaced) == (1, 1)
    by_id = {s.request_id: s for s in registry.labels.since("fraud")}
    assert (by_id["r1"].label, by_id["r1"].actor) == ("no", "bob")


def test_the_same_instance_twice_in_one_batch_keeps_the_last(registry: Registry) -> None:
    count = registry.labels.add("fraud", [Label("r1", 0, "yes"), Label("r1", 0, "no")], "ann")
    assert (count.new, count.replaced) == (1, 0)
    assert [s.label for s in registry.labels.since("fraud")] == ["no"]


def test_labels_are_kept_per_endpoint(registry: Registry) -> None:
    registry.labels.add("fraud", [Label("r1", 0, "yes")], "ann")
    count = registry.labels.add("churn", [Label("r1", 0, "stay")], "ann")
    assert (count.new, count.replaced) == (1, 0)
    assert [s.label for s in registry.labels.since("churn")] == ["stay"]


def test_since_leaves_out_older_labels(registry: Registry) -> None:
    registry.labels.add("fraud", [Label("old", 0, "yes")], "ann")
    cut = utcnow()
    registry.labels.add("fraud", [Label("new", 0, "no")], "ann")
    assert [s.request_id for s in registry.labels.since("fraud", cut)] == ["new"]
    assert registry.labels.since("fraud", cut + timedelta(days=1)) == []


def test_100k_labels_are_written_in_seconds(registry: Registry) -> None:
    labels = [Label(f"req-{i}", 0, "yes" if i % 3 else "no") for i in range(100_000)]
    started = time.perf_counter()
    count = registry.labels.add("fraud", labels, "ann")
    took = time.perf_counter() - started
    assert (count.new, count.replaced) == (100_000, 0)
    assert took < 10, f"100,000 labels took {took:.1f} s"
    again = registry.labels.add("fraud", labels[:1000], "ann")
    assert (again.new, again.replaced) == (0, 1000)
