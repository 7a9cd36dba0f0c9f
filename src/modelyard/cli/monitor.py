"""``modelyard monitor ENDPOINT``: how an endpoint does in production.

By default, the drift of its inputs and predictions (from its prediction log, or a file of
rows with ``--data``) against each version's reference, with ``--report`` for the HTML
report and ``--json`` for the stable document. ``--performance`` shows the metrics of its
labelled predictions per variant, version and time window, beside the ones recorded at
promotion, with each gate's verdict. Each mode is a function of its own; the command only
picks one.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from modelyard.cli.context import console, registry_from
from modelyard.cli.evaluate import BOOTSTRAP, SEED
from modelyard.cli.log_options import ENDPOINTS, STORE
from modelyard.core.errors import ConfigError

if TYPE_CHECKING:
    from modelyard.monitoring.drift_report import FeatureDrift
    from modelyard.monitoring.endpoint_drift import EndpointDrift, VersionDrift
    from modelyard.monitoring.performance_report import PerformanceReport, VersionPerformance

DRIFT_SINCE = "24h"
PERFORMANCE_SINCE = "7d"


def _duration(value: str, option: str) -> timedelta:
    from modelyard.pipeline.config_values import parse_duration

    try:
        seconds = parse_duration(value)
    except ValueError:
        seconds = None
    if not isinstance(seconds, float) or seconds <= 0:
        raise ConfigError(f"{option} {value!r} is not a duration: expected e.g. 1h, 1d or 7d")
    return timedelta(seconds=seconds)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def version_table(version: VersionPerformance) -> Table:
    """One row per window: labelled rows, each metric with its interval, the verdict."""
    promoted = version.promoted
    where = {
        "evaluation": f"at promotion (evaluation on data {(promoted.dataset_sha256 or '')[:12]})",
        "manifest": "the package's test metrics",
        "none": "none recorded",
    }[promoted.source]
    title = f"{version.variant}: {version.model}:{version.version} — reference: {where}"
    table = Table(title=escape(title), title_justify="left")
    metrics = sorted({name for window in version.windows for name in window.metrics})
    for column in ["window", "labelled", *metrics, "gates"]:
        table.add_column(column, justify="left" if column in ("window", "gates") else "right")
    table.add_row("reference", "", *[_num(promoted.metrics.get(name)) for name in metrics], "")
    for window in version.windows:
        cells = []
        for name in metrics:
            interval = window.intervals.get(name)
            shown = _num(window.metrics.get(name))
            if interval is not None:
                shown += f" [{interval.low:.3f}, {interval.high:.3f}]"
            cells.append(shown)
        if not window.judged:
            verdict = "not judged"
        elif window.failed:
            verdict = "FAILED: " + ", ".join(v.gate for v in window.failed)
        else:
            verdict = "passed" if window.verdicts else "no gates"
        stamp = window.start.strftime("%Y-%m-%d %H:%M")
        labelled = f"{window.labelled_rows}/{window.logged_rows}"
        if window.unusable_labels:
            labelled += f" ({window.unusable_labels} unusable)"
        table.add_row(stamp, labelled, *cells, verdict)
    return table


def show_performance(report: PerformanceReport) -> None:
    """The report as one table per variant and version."""
    console.print(
        f"{report.endpoint}: {report.labelled_rows} of {report.logged_rows} logged predictions "
        f"labelled since {report.since:%Y-%m-%d %H:%M} UTC; windows of "
        f"{report.window_seconds:g} s, judged from {report.min_rows} labelled rows",
        markup=False,
        highlight=False,
    )
    for version in report.versions:
        console.print(version_table(version))


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _drift_row(feature: FeatureDrift) -> list[str]:
    if feature.drifted is None:
        verdict = feature.note or "not judged"
    else:
        verdict = "[red]DRIFT[/red]" if feature.drifted else "ok"
    effect = _figure(feature.effect_size)
    if effect and feature.effect_method:
        effect += f" ({feature.effect_method})"
    return [
        escape(feature.name),
        feature.kind,
        feature.method or "",
        _figure(feature.statistic),
        _figure(feature.p_value),
        effect,
        _figure(feature.psi),
        _figure(feature.threshold),
        verdict if feature.drifted is not None else escape(verdict),
    ]


def drift_table(version: VersionDrift) -> Table:
    """One row per feature (drifted first) and one for the predictions."""
    report = version.report
    dataset = report.dataset
    share = "n/a" if dataset.share is None else f"{dataset.share:.0%}"
    verdict = {None: "not judged", True: "DATASET DRIFT", False: "no dataset drift"}
    title = (
        f"{version.variant}: {version.model}:{version.version} — {verdict[dataset.drifted]} "
        f"({dataset.drifted_features} of {dataset.judged} judged features, {share}; threshold "
        f"{dataset.threshold:.0%}); {report.current_rows} rows against a reference "
        f"{report.reference} of {report.reference_rows}"
    )
    table = Table(title=escape(title), title_justify="left")
    for column in ["feature", "kind", "method", "statistic", "p-value", "effect", "psi",
                   "threshold", "verdict"]:  # fmt: skip
        table.add_column(column)
    order = sorted(report.features, key=lambda f: (not f.drifted, f.drifted is None, f.name))
    for feature in order:
        table.add_row(*_drift_row(feature))
    if report.prediction is not None:
        table.add_row(*_drift_row(report.prediction.model_copy(update={"name": "(prediction)"})))
    return table


def show_drift(found: EndpointDrift, min_rows: int) -> None:
    """The drift as one table per variant and version, with the rule for too few rows."""
    where = f"logged since {found.since:%Y-%m-%d %H:%M} UTC" if found.since else found.source
    console.print(
        f"{found.endpoint}: {found.rows} rows ({where}); a feature with fewer than {min_rows} "
        "current values is not judged (--min-rows)",
        markup=False,
        highlight=False,
    )
    for version in found.versions:
        console.print(drift_table(version))
        report = version.report
        # a judged feature's note (e.g. judged on the profile: no reference sample) has no
        # column of its own; each distinct one is printed once under the table
        judged = sorted({f.note for f in report.features if f.drifted is not None and f.note})
        for note in [*judged, report.note] if report.note else judged:
            console.print(note, markup=False, highlight=False)


def monitor_drift(
    ctx: typer.Context,
    endpoint: str,
    *,
    since: str,
    data: Path | None,
    variant: str | None,
    min_rows: int | None,
    report: Path | None,
    json_out: bool,
    store: str | None,
    endpoints: Path | None,
) -> None:
    """The drift mode: compute, then print, write the HTML report, or both."""
    from modelyard.monitoring.drift import MIN_ROWS  # loads pandas, scipy
    from modelyard.monitoring.drift_html import drift_page
    from modelyard.monitoring.endpoint_drift import endpoint_drift

    rows = min_rows or MIN_ROWS
    found = endpoint_drift(
        endpoint,
        registry=registry_from(ctx),
        store=store,
        endpoints=endpoints,
        since=_duration(since, "--since"),
        data=data,
        variant=variant,
        min_rows=rows,
    )
    if report is not None:
        parts = [(f"{v.variant}: {v.model}:{v.version}", v.report) for v in found.versions]
        # the page heads a section per version only when there are several: one version is
        # named in the title, so a report always says which version it judged
        title = f"Drift of {endpoint}" + (f" ({parts[0][0]})" if len(parts) == 1 else "")
        try:
            report.write_text(drift_page(title, parts), encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write the report {report}: {error.strerror}") from None
    if json_out:
        print(found.model_dump_json(indent=2))
        return
    show_drift(found, rows)
    if report is not None:
        console.print(f"report written to {report}", markup=False, highlight=False)


def monitor(
    ctx: typer.Context,
    endpoint: str = typer.Argument(..., help="the endpoint to look at"),
    performance: bool = typer.Option(
        False, "--performance", help="metrics of the labelled predictions per time window"
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        help=f"how far back to look (default {DRIFT_SINCE}; {PERFORMANCE_SINCE} with "
        "--performance)",
    ),
    data: Path | None = typer.Option(
        None, "--data", help="drift of the rows of this CSV or Parquet file instead of the log"
    ),
    variant: str | None = typer.Option(None, "--variant", help="only this variant"),
    report: Path | None = typer.Option(None, "--report", help="write the drift report as HTML"),
    window: str | None = typer.Option(
        None, "--window", help="with --performance: the length of each time window (default 1d)"
    ),
    gates: Path | None = typer.Option(
        None, "--gates", help="with --performance: a gates file judging each window"
    ),
    min_rows: int | None = typer.Option(
        None,
        "--min-rows",
        min=1,
        help="rows a verdict needs: current values per feature (drift, default 100) or "
        "labelled rows per window (--performance)",
    ),
    bootstrap: int = BOOTSTRAP,
    seed: int = SEED,
    json_out: bool = typer.Option(False, "--json", help="print the report as JSON"),
    store: str | None = STORE,
    endpoints: Path | None = ENDPOINTS,
) -> None:
    """Watch an endpoint in production: the drift of its inputs and predictions against the
    reference each version stores (default), or live metrics from labels (--performance)."""
    if performance:
        if data is not None or report is not None:
            raise ConfigError("--data and --report are for drift: leave out --performance")
        monitor_performance(
            ctx, endpoint, since=since or PERFORMANCE_SINCE, window=window or "1d", variant=variant,
            gates=gates, min_rows=min_rows, bootstrap=bootstrap, seed=seed, json_out=json_out,
            store=store, endpoints=endpoints,
        )  # fmt: skip
        return
    if data is not None and since is not None:
        raise ConfigError("give --since (the log) or --data (a file), not both")
    if data is not None and variant is not None:
        raise ConfigError("--data is scored by the endpoint's primary: leave out --variant")
    if gates is not None or window is not None:
        raise ConfigError("--gates and --window are for --performance")
    monitor_drift(
        ctx, endpoint, since=since or DRIFT_SINCE, data=data, variant=variant,
        min_rows=min_rows, report=report, json_out=json_out, store=store, endpoints=endpoints,
    )  # fmt: skip


def monitor_performance(
    ctx: typer.Context,
    endpoint: str,
    *,
    since: str,
    window: str,
    variant: str | None,
    gates: Path | None,
    min_rows: int | None,
    bootstrap: int,
    seed: int,
    json_out: bool,
    store: str | None,
    endpoints: Path | None,
) -> None:
    """The performance mode: live metrics per window, beside the promotion-time ones."""
    from modelyard.monitoring.labelled import live_performance  # loads pandas, scikit-learn

    found = live_performance(
        endpoint,
        registry=registry_from(ctx),
        store=store,
        endpoints=endpoints,
        since=_duration(since, "--since"),
        window=_duration(window, "--window"),
        variant=variant,
        gates=gates,
        min_rows=min_rows,
        bootstrap=bootstrap,
        seed=seed,
    )
    if json_out:
        print(found.model_dump_json(indent=2))
    else:
        show_performance(found)
