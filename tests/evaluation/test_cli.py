"""The evaluate, promote and gates-check commands: tables, reports, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from evaltools import ISSUE_EXAMPLE
from typer.testing import CliRunner

from modelyard.cli.main import app


@pytest.fixture
def cli(bc, tmp_path, imbalanced):
    """Run a command against the ``bc`` registry; files test.csv and gates.yaml in tmp_path."""
    imbalanced.test.assign(site=imbalanced.test.index % 2).to_csv(
        tmp_path / "test.csv", index=False
    )
    (tmp_path / "gates.yaml").write_text(ISSUE_EXAMPLE)
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    artifacts = str(tmp_path / "artifacts")

    def run(*args: str):
        return CliRunner().invoke(app, ["--registry", url, "--artifacts", artifacts, *args])

    return run


def _common(tmp_path: Path) -> list[str]:
    return ["--data", str(tmp_path / "test.csv"), "--target", "target", "--bootstrap", "20"]


def test_evaluate_prints_metrics_and_writes_reports_holding_the_figures(cli, tmp_path):
    html, js = tmp_path / "report.html", tmp_path / "report.json"
    out = cli(
        "evaluate",
        "bc:1",
        *_common(tmp_path),
        "--slice",
        "site",
        "--report",
        str(html),
        "--json",
        str(js),
    )
    assert out.exit_code == 0, out.output
    assert "f1_macro" in out.output and "majority baseline" in out.output
    document = json.loads(js.read_text())["evaluation"]
    f1 = document["metrics"]["f1_macro"]
    assert f"{f1:.4f}" in out.output
    page = html.read_text()
    assert f"{f1:.4f}" in page
    for title in (
        "confusion matrix",
        "ROC curve",
        "precision-recall curve",
        "calibration",
        "per class",
        "Representativeness of the evaluation data",
        "Slices",
    ):
        assert title in page
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 5
    for drawing in svgs:
        ET.fromstring(drawing)  # well-formed SVG
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_promote_refusal_prints_every_gate_and_exits_1(cli, tmp_path, bc):
    js = tmp_path / "refused.json"
    out = cli(
        "promote",
        "bc:2",
        "--to",
        "production",
        "--gates",
        str(tmp_path / "gates.yaml"),
        *_common(tmp_path),
        "--json",
        str(js),
    )
    assert out.exit_code == 1, out.output
    assert out.output.count("FAIL") == 4 and out.output.count("pass") == 2
    assert "refused: 4 of 6 gates failed; bc@production was not moved" in out.output
    promotion = json.loads(js.read_text())["promotion"]
    assert promotion["moved"] is False and len(promotion["gates"]) == 6
    assert "production" not in bc.aliases("bc")


def test_promote_moves_the_alias_when_every_gate_passes(cli, tmp_path, bc):
    html = tmp_path / "promoted.html"
    out = cli(
        "promote",
        "bc:1",
        "--to",
        "production",
        "--gates",
        str(tmp_path / "gates.yaml"),
        *_common(tmp_path),
        "--report",
        str(html),
    )
    assert out.exit_code == 0, out.output
    assert "bc@production: nothing → version 1" in out.output
    assert "moved bc@production to version 1" in html.read_text()
    assert bc.aliases("bc") == {"production": 1}


def test_force_with_a_reason_is_recorded(cli, tmp_path, bc):
    out = cli(
        "promote",
        "bc:2",
        "--to",
        "production",
        "--gates",
        str(tmp_path / "gates.yaml"),
        *_common(tmp_path),
        "--force",
        "--reason",
        "incident 7",
    )
    assert out.exit_code == 0, out.output
    assert "FORCED" in out.output
    event = bc.alias_history("bc", "production")[-1]
    assert event.forced and event.reason.startswith("incident 7 (forced past failed gates")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "bc:9", "--data", "{csv}", "--target", "target"], "error: "),
        (
            ["evaluate", "bc:1", "--data", "{tmp}/nope.csv", "--target", "target"],
            "does not exist: expected a CSV or Parquet file",
        ),
        (
            [
                "promote",
                "bc:2",
                "--to",
                "production",
                "--gates",
                "{tmp}/gates.yaml",
                "--data",
                "{csv}",
                "--target",
                "target",
                "--force",
            ],
            "error: --force needs --reason",
        ),
        (["check", "--gates", "{tmp}/bad.yaml"], "bad.yaml: unknown metric 'f2'; known metrics: "),
    ],
)
def test_a_user_error_is_one_line_and_exit_2(cli, tmp_path, args, message):
    (tmp_path / "bad.yaml").write_text("gates: [{metric: f2, min: 1}]\n")
    filled = [a.format(csv=tmp_path / "test.csv", tmp=tmp_path) for a in args]
    out = cli(*filled)
    assert out.exit_code == 2, out.output
    assert message in out.output
    assert "Traceback" not in out.output
    assert len(out.output.strip().splitlines()) == 1


def test_check_gates_against_a_model_checks_class_names(cli, tmp_path):
    ok = cli("check", "--gates", str(tmp_path / "gates.yaml"), "--model", "bc:1")
    assert ok.exit_code == 0, ok.output
    (tmp_path / "typo.yaml").write_text('gates: [{metric: "recall[cancer]", min: 0.5}]\n')
    out = cli("check", "--gates", str(tmp_path / "typo.yaml"), "--model", "bc:1")
    assert out.exit_code == 2
    assert "unknown class 'cancer'; known classes: malignant, benign, 0, 1" in out.output
