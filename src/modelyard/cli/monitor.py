"""``modelyard monitor ENDPOINT``: how an endpoint does in production.

``--performance`` shows the metrics of its labelled predictions per variant, version and
time window, beside the ones recorded at promotion, with each gate's verdict. Each mode is a
function of its own; the command only picks one.
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
from modelyard.cli.feedback import ENDPOINTS, STORE
from modelyard.core.errors import ConfigError

if TYPE_CHECKING:
    from modelyard.monitoring.performance_report import PerformanceReport, VersionPerformance


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
        table.add_row(stamp, f"{window.labelled_rows}/{window.logged_rows}", *cells, verdict)
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


def monitor(
    ctx: typer.Context,
    endpoint: str = typer.Argument(..., help="the endpoint to look at"),
    performance: bool = typer.Option(
        False, "--performance", help="metrics of the labelled predictions per time window"
    ),
    window: str = typer.Option("1d", "--window", help="the length of each time window"),
    since: str = typer.Option("7d", "--since", help="how far back to look"),
    variant: str | None = typer.Option(None, "--variant", help="only this variant"),
    gates: Path | None = typer.Option(None, "--gates", help="a gates file judging each window"),
    min_rows: int | None = typer.Option(
        None, "--min-rows", min=1, help="labelled rows a window needs to be judged"
    ),
    bootstrap: int = BOOTSTRAP,
    seed: int = SEED,
    json_out: bool = typer.Option(False, "--json", help="print the report as JSON"),
    store: str | None = STORE,
    endpoints: Path | None = ENDPOINTS,
) -> None:
    """Watch an endpoint in production (``--performance``: live metrics from labels)."""
    if not performance:
        raise ConfigError("say what to monitor: --performance")
    from modelyard.monitoring.labelled import live_performance  # loads pandas, scikit-learn

    report = live_performance(
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
        print(report.model_dump_json(indent=2))
    else:
        show_performance(report)
