"""The drift report as HTML: every feature, drifted first, self-contained, rules written out."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from drift_packages import classifier_package, without_reference
from sklearn.datasets import load_breast_cancer

from modelyard.monitoring.drift import measure_drift
from modelyard.monitoring.drift_html import drift_html
from modelyard.monitoring.drift_report import DEFINITIONS, DriftReport
from modelyard.monitoring.reference import load_reference

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="module")
def report() -> DriftReport:
    data = load_breast_cancer(as_frame=True).data
    reference = data.assign(site=np.where(np.arange(len(data)) % 3 == 0, "north", "south"))
    current = reference.sample(500, replace=True, random_state=0).reset_index(drop=True)
    current["worst texture"] += 3 * data["worst texture"].std()
    labels = pd.Series(["benign", "malignant"] * 250, name="label")
    return measure_drift(reference, current, predictions=(labels, labels))


def test_every_feature_and_its_histogram_appear(report: DriftReport) -> None:
    html = drift_html(report)

    for feature in report.features:
        assert f"<td>{feature.name}</td>" in html
        assert f'aria-label="{feature.name}"' in html
    assert html.count("<svg") == len(report.features) + 1  # and the predictions'


def test_drifted_features_come_first(report: DriftReport) -> None:
    html = drift_html(report)

    rows = re.findall(r"<tr><td>([^<]+)</td>", html)
    assert rows[0] == "worst texture"
    assert report.drifted == ["worst texture"]


def test_html_is_self_contained(report: DriftReport) -> None:
    html = drift_html(report)

    assert set(re.findall(r"https?://[^\"'\s<>]+", html)) == {SVG_NAMESPACE}
    assert not re.search(r"<script|<link|<img|\ssrc=|\shref=|@import|url\(", html)


def test_definitions_thresholds_and_the_min_rows_rule_are_written_out(
    report: DriftReport,
) -> None:
    html = drift_html(report)

    assert "Features with fewer than 100 current values are not judged." in html
    for term in DEFINITIONS:
        assert f"<td>{term}</td>" in html
    assert "natural log" in html and "Sturges" in html
    assert "1 of 31 judged features drifted (3%; threshold 50%)" in html


def test_feature_names_are_escaped() -> None:
    frame = pd.DataFrame({"<b>x</b>": np.arange(200.0)})

    html = drift_html(measure_drift(frame, frame))

    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<b>x</b>" not in html


def test_profile_based_report_renders_its_bins_and_reasons(breast_cancer, tmp_path: Path) -> None:
    folder = without_reference(
        classifier_package(tmp_path / "pkg", breast_cancer.X_train, breast_cancer.y_train)
    )
    current = breast_cancer.X_test.sample(300, replace=True, random_state=0)

    html = drift_html(measure_drift(load_reference(folder), current))

    assert html.count("<svg") == 30
    assert html.count("no reference sample in this version: ks and wasserstein need") == 30
    assert "against a reference profile of 426 rows" in html


def test_a_feature_named_like_markup_is_written_as_text() -> None:
    rng = np.random.default_rng(0)
    name = '<span onclick="x()">radius'
    reference = pd.DataFrame({name: rng.normal(size=300)})
    current = pd.DataFrame({name: rng.normal(size=300)})

    html = drift_html(measure_drift(reference, current))

    assert "<span onclick" not in html
    assert "<td>&lt;span onclick=&quot;x()&quot;&gt;radius</td>" in html
