"""The drift report as one self-contained HTML file (inline CSS and SVG, no script, no network).

Laid out for a person asked "has the traffic moved?": the dataset verdict first, then one row
per feature (drifted features first) with the statistic, p-value, effect size and PSI beside
their thresholds, then an overlaid histogram of reference against current per feature, and at
the end every definition, binning rule and threshold that decided.
"""

from __future__ import annotations

from html import escape

from modelyard.evaluation import svg
from modelyard.evaluation.report_html import CSS, badge, number, table
from modelyard.monitoring.drift_report import DriftReport, FeatureDrift, Histogram


def _verdict(feature: FeatureDrift) -> str:
    if feature.drifted is None:
        return "not judged"
    return badge(not feature.drifted, "no drift", "DRIFT")


def _order(feature: FeatureDrift) -> tuple[int, str]:
    rank = {True: 0, None: 1, False: 2}[feature.drifted]
    return rank, feature.name


def _row(feature: FeatureDrift) -> list[str]:
    return [
        feature.name,
        feature.kind,
        feature.method or "n/a",
        number(feature.statistic),
        number(feature.p_value),
        number(feature.threshold, 3),
        "n/a"
        if feature.effect_method is None
        else f"{feature.effect_size:.4f} ({feature.effect_method})",
        number(feature.psi),
        f"{feature.rows_reference} / {feature.rows_current}",
        _verdict(feature),
        feature.note,
    ]


_HEADER = (
    "feature",
    "kind",
    "method",
    "statistic",
    "p-value",
    "threshold",
    "effect size",
    "PSI",
    "rows ref / current",
    "verdict",
    "note",
)


def _chart(name: str, histogram: Histogram) -> str:
    series = {"reference": histogram.reference, "current": histogram.current}
    if histogram.edges is not None:
        edges = histogram.edges
        bins = svg.interval_labels(edges)
        return svg.histogram(name, bins, series, x_range=(f"{edges[0]:.4g}", f"{edges[-1]:.4g}"))
    return svg.histogram(name, histogram.bins or [], series)


def _dataset(report: DriftReport) -> str:
    dataset = report.dataset
    if dataset.drifted is None:
        verdict = "not judged: no feature could be judged"
    else:
        verdict = badge(not dataset.drifted, "no dataset drift", "DATASET DRIFT")
    share = "n/a" if dataset.share is None else f"{dataset.share:.0%}"
    return (
        f"<p><b>{verdict}</b>: {dataset.drifted_features} of {dataset.judged} judged features "
        f"drifted ({share}; threshold {dataset.threshold:.0%}); {dataset.features} features, "
        f"{report.current_rows} current rows against a reference {escape(report.reference)} "
        f"of {report.reference_rows} rows. Features with fewer than {report.min_rows} current "
        "values are not judged.</p>"
        + (f'<p class="note">{escape(report.note)}</p>' if report.note else "")
    )


def _sections(report: DriftReport, heading: str) -> list[str]:
    """One report's verdict, tables and charts under ``heading`` (none: the page's own)."""
    features = sorted(report.features, key=_order)
    judged = [*features, *([report.prediction] if report.prediction else [])]
    charts = [_chart(feature.name, feature.histogram) for feature in judged if feature.histogram]
    sections = [f"<h2>{escape(heading)}</h2>"] if heading else []
    sections += [
        _dataset(report),
        "<h3>Features</h3>",
        table(_HEADER, [_row(f) for f in features]),
    ]
    if report.prediction is not None:
        sections += ["<h3>Predictions</h3>", table(_HEADER, [_row(report.prediction)])]
    sections += [
        "<h3>Reference against current</h3>",
        f'<div class="charts">{"".join(charts)}</div>',
    ]
    return sections


def drift_page(title: str, reports: list[tuple[str, DriftReport]]) -> str:
    """Several reports (e.g. one per variant and version) as one HTML document, each under
    its heading, with the definitions once at the end."""
    sections = [f"<h1>{escape(title)}</h1>"]
    for heading, report in reports:
        sections += _sections(report, heading if len(reports) > 1 else "")
    definitions = reports[0][1].definitions if reports else {}
    sections += [
        "<h2>Definitions</h2>",
        table(("term", "definition"), sorted(definitions.items())),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "".join(sections)
        + "</body></html>"
    )


def drift_html(report: DriftReport) -> str:
    """The whole report as one HTML document."""
    return drift_page("Drift report", [("", report)])
