"""``modelyard monitor ENDPOINT --performance``: live metrics per window, as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from modelyard.registry import Registry
from monitoring.labeltools import cancer_version, log_answers

pytestmark = pytest.mark.slow


@pytest.fixture
def labelled(workdir: Path) -> Registry:
    """Endpoint ``cancer``: 120 answers yesterday labelled right, 30 today labelled wrong."""
    registry = Registry()
    version, data = cancer_version(registry, workdir / "packages")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows, truth = data.X("test"), data.test["target"]
    right = log_answers(
        registry, "cancer", version, rows.head(120), at=today - timedelta(hours=23),
        ids=[f"a{i}" for i in range(120)],
    )  # fmt: skip
    wrong = log_answers(
        registry, "cancer", version, rows.tail(30), at=today + timedelta(seconds=1),
        ids=[f"b{i}" for i in range(30)],
    )  # fmt: skip
    labels = pd.DataFrame(
        {
            "request_id": right + wrong,
            "label": [str(t) for t in truth.head(120)] + [str(1 - t) for t in truth.tail(30)],
        }
    )
    labels.to_csv(workdir / "labels.csv", index=False)
    (workdir / "gates.yaml").write_text(
        yaml.safe_dump({"gates": [{"metric": "accuracy", "min": 0.9}, {"min_rows": 20}]})
    )
    return registry


def test_the_json_report_flags_the_window_below_the_gate(cli: Callable, labelled: Registry) -> None:
    assert cli("feedback", "cancer", "--file", "labels.csv").code == 0
    result = cli(
        "monitor", "cancer", "--performance", "--bootstrap", "50", "--json", "--gates", "gates.yaml"
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    (version,) = report["versions"]
    assert (version["variant"], version["model"], version["version"]) == ("main", "cancer", 1)
    assert version["promoted"]["source"] == "manifest"
    yesterday, today = version["windows"]
    assert (yesterday["labelled_rows"], today["labelled_rows"]) == (120, 30)
    assert [v["passed"] for v in yesterday["verdicts"]] == [True]
    assert [v["passed"] for v in today["verdicts"]] == [False]
    assert report["min_rows"] == 20 and report["gates"] == ["accuracy"]


def test_the_table_shows_each_window_beside_the_reference(
    cli: Callable, labelled: Registry
) -> None:
    cli("feedback", "cancer", "--file", "labels.csv")
    result = cli(
        "monitor",
        "cancer",
        "--performance",
        "--bootstrap",
        "50",
        "--gates",
        "gates.yaml",
        "--min-rows",
        "50",
    )
    assert result.code == 0, result.err
    assert "cancer: 150 of 150 logged predictions labelled" in result.out
    assert "main: cancer:1 — reference: the package's test metrics" in result.out
    assert "120/120" in result.out and "passed" in result.out
    assert "30/30" in result.out and "not judged" in result.out


def test_a_variant_without_labels_has_no_windows_judged(cli: Callable, labelled: Registry) -> None:
    result = cli(
        "monitor", "cancer", "--performance", "--bootstrap", "50", "--json", "--variant", "main"
    )
    report = json.loads(result.out)
    assert report["labelled_rows"] == 0
    assert all(not w["judged"] for w in report["versions"][0]["windows"])
    other = json.loads(
        cli(
            "monitor", "cancer", "--performance", "--bootstrap", "50", "--json", "--variant", "b"
        ).out
    )
    assert other["versions"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["cancer", "--performance", "--window", "soon"],
            "error: --window 'soon' is not a duration: expected e.g. 1h, 1d or 7d",
        ),
        (
            ["cancer", "--performance", "--since", "0d"],
            "error: --since '0d' is not a duration: expected e.g. 1h, 1d or 7d",
        ),
    ],
)
def test_wrong_options_are_one_error_line(
    cli: Callable, labelled: Registry, args: list[str], message: str
) -> None:
    result = cli("monitor", *args)
    assert (result.code, result.err.strip()) == (2, message)


def test_a_gate_on_an_unknown_metric_is_one_error_line(
    cli: Callable, labelled: Registry, workdir: Path
) -> None:
    cli("feedback", "cancer", "--file", "labels.csv")
    (workdir / "typo.yaml").write_text(yaml.safe_dump({"gates": [{"metric": "acuracy", "min": 1}]}))
    result = cli(
        "monitor",
        "cancer",
        "--performance",
        "--bootstrap",
        "50",
        "--gates",
        "typo.yaml",
        "--min-rows",
        "1",
    )
    assert result.code == 2
    assert result.err.startswith("error: unknown metric 'acuracy'; known metrics: accuracy")
