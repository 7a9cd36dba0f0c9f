"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network).

Laid out for a person deciding whether a model may serve: the verdicts first, then the
headline figures beside the majority baseline and their intervals, then the plots, slices
and the representativeness of the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from modelyard.evaluation import svg
from modelyard.evaluation.promotion import Promotion
from modelyard.evaluation.result import EvaluationResult

CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;text-align:right;
border-bottom:1px solid #eee}th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.note{color:#555;font-size:.9rem}
"""


def number(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


class Markup(str):
    """Text that is already HTML (a badge): a table writes it as it is."""


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """An HTML table; every cell is escaped unless it is :class:`Markup` (a cell that merely
    starts like markup, such as a feature named ``<span``, is text and is escaped)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{c if isinstance(c, Markup) else escape(c)}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def badge(good: bool, yes: str = "pass", no: str = "FAIL") -> Markup:
    """A green ``yes`` or a red ``no``."""
    kind, text = ("pass", yes) if good else ("fail", no)
    return Markup(f'<span class="{kind}">{escape(text)}</span>')


def _promotion(promotion: Promotion) -> str:
    if promotion.event is not None:
        outcome = f"moved {promotion.name}@{promotion.alias} to version {promotion.version}"
        if promotion.forced:
            outcome += f" — FORCED: {promotion.event.reason}"
    else:
        outcome = f"refused: {promotion.name}@{promotion.alias} was not moved"
    rows = [(v.gate, v.value, v.threshold, badge(v.passed)) for v in promotion.verdicts]
    return f"<h2>Gates</h2><p><b>{escape(outcome)}</b></p>" + table(
        ("gate", "value", "threshold", "result"), rows
    )


def _headline(result: EvaluationResult) -> str:
    comparison = result.comparison
    header = ["metric", "value", "95% interval", "majority baseline"]
    if comparison is not None:
        header += [f"{comparison.ref} (v{comparison.version})", "difference"]
    rows = []
    for name in result.headline():
        value = result.metrics[name]
        interval = result.intervals.get(name)
        row = [
            name,
            number(value),
            "n/a" if interval is None else f"[{interval.low:.4f}, {interval.high:.4f}]",
            number(result.baseline.get(name)),
        ]
        if comparison is not None:
            row += [number(comparison.metrics.get(name)), number(comparison.deltas.get(name))]
        rows.append(row)
    note = (
        f"Intervals: {result.bootstrap} bootstrap resamples, seed {result.seed}, percentile "
        "method. Baseline: always the majority class, with the class shares as probabilities."
        if result.task == "classification"
        else f"Intervals: {result.bootstrap} bootstrap resamples, seed {result.seed}. "
        "Baseline: always the mean target."
    )
    return f"<h2>Headline metrics</h2>{table(header, rows)}<p class='note'>{escape(note)}</p>"


def _classification(result: EvaluationResult) -> str:
    classes = result.classes
    rows = [
        (
            name,
            *(number(result.per_class[name][m]) for m in ("precision", "recall", "f1")),
            f"{result.per_class[name]['support']:.0f}",
        )
        for name in classes
    ]
    bars = svg.bar_chart(
        "per class",
        classes,
        {m: [result.per_class[c][m] for c in classes] for m in ("precision", "recall", "f1")},
    )
    charts = [bars]
    if result.confusion_matrix is not None:
        charts.append(svg.heatmap("confusion matrix", result.confusion_matrix, classes))
    curves = result.curves
    for key, title, x_label, y_label, diagonal in (
        ("roc", "ROC curve", "false positive rate", "true positive rate", True),
        ("pr", "precision-recall curve", "recall", "precision", False),
        ("calibration", "calibration", "mean predicted probability", "observed share", True),
    ):
        if curves.get(key):
            series = [
                (c.label + ("" if c.area is None else f" ({c.area:.3f})"), c.x, c.y)
                for c in curves[key]
            ]
            charts.append(
                svg.line_chart(title, series, x_label=x_label, y_label=y_label, diagonal=diagonal)
            )
    positive = (
        f"Binary curves are drawn for the positive class {result.positive_class!r}."
        if result.positive_class is not None
        else "Curves are one-vs-rest per class."
    )
    return (
        "<h2>Per class</h2>"
        + table(("class", "precision", "recall", "F1", "support"), rows)
        + f"<p class='note'>{escape(positive)}</p>"
        + f"<div class='charts'>{''.join(charts)}</div>"
    )


def _regression(result: EvaluationResult) -> str:
    rows = [(q, number(v)) for q, v in result.residual_quantiles.items()]
    return "<h2>Residuals (true - predicted)</h2>" + table(("quantile", "residual"), rows)


def _slices(result: EvaluationResult) -> str:
    if not result.slices:
        return ""
    names = result.headline()
    rows = [
        (s.column, s.value, str(s.rows), *(number(s.metrics.get(n)) for n in names))
        for s in result.slices
    ]
    return "<h2>Slices</h2>" + table(("column", "slice", "rows", *names), rows)


def _representativeness(result: EvaluationResult) -> str:
    report = result.representativeness
    if report is None:
        return "<h2>Representativeness</h2><p>The package holds no training profile.</p>"
    rows = [
        (
            f.name,
            f.kind,
            number(f.statistic, 2),
            number(f.p_value),
            number(f.psi, 3),
            f"{f.missing_train:.1%}",
            "n/a" if f.missing_eval is None else f"{f.missing_eval:.1%}",
            badge(not f.differs, "similar", "differs"),
            f.note,
        )
        for f in sorted(report.features, key=lambda f: (not f.differs, f.p_value or 0))
    ]
    differing = ", ".join(report.differing) or "none"
    return (
        "<h2>Representativeness of the evaluation data</h2>"
        f"<p>Features that differ from the training profile ({escape(report.rule)}): "
        f"<b>{escape(differing)}</b></p>"
        + table(
            (
                "feature",
                "kind",
                "chi-square",
                "p-value",
                "PSI",
                "missing (train)",
                "missing (eval)",
                "verdict",
                "note",
            ),
            rows,
        )
        + f"<p class='note'>Method: {escape(report.method)}</p>"
    )


def render_html(result: EvaluationResult, promotion: Promotion | None = None) -> str:
    """The whole report as one HTML string."""
    title = f"Evaluation of {result.model}:{result.version}"
    summary = (
        f"{result.rows} rows, target {result.target!r}, data sha256 "
        f"{result.dataset_sha256[:16]}…; model format {result.format}, digest "
        f"{result.digest[:16]}…; evaluated {result.created_at:%Y-%m-%d %H:%M:%S} UTC "
        "through the version's own serving pipeline."
    )
    body = [f"<h1>{escape(title)}</h1><p>{escape(summary)}</p>"]
    if promotion is not None:
        body.append(_promotion(promotion))
    body.append(_headline(result))
    body.append(_classification(result) if result.task == "classification" else _regression(result))
    body.append(_slices(result))
    body.append(_representativeness(result))
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )


def write_html(
    path: str | Path, result: EvaluationResult, promotion: Promotion | None = None
) -> Path:
    """Write the HTML report to ``path`` and return the path."""
    target = Path(path)
    target.write_text(render_html(result, promotion), encoding="utf-8")
    return target
