"""``modelyard evaluate``, ``modelyard promote`` and the gates-file check.

Thin: parse options, call :mod:`modelyard.evaluation`, print tables, write reports. A user
error prints one line and exits 2; a refused promotion prints every gate and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from modelyard.cli.context import console, err_console, registry_from
from modelyard.cli.progress import working
from modelyard.core.errors import ConfigError

if TYPE_CHECKING:
    from modelyard.evaluation import EvaluationResult, Promotion

DATA = typer.Option(..., "--data", help="CSV or Parquet file holding the features and target")
TARGET = typer.Option(
    None,
    "--target",
    help="the column holding the true labels or values (default: the one the model was "
    "trained with, from its lineage)",
)
SLICES = typer.Option([], "--slice", help="a column to break metrics down by (repeatable)")
BOOTSTRAP = typer.Option(1000, "--bootstrap", min=0, help="bootstrap resamples (0: none)")
SEED = typer.Option(0, "--seed", help="seed of the bootstrap")
REPORT = typer.Option(None, "--report", help="write a self-contained HTML report here")
JSON = typer.Option(None, "--json", help="write the JSON report here")


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def metrics_table(result: EvaluationResult) -> Table:
    """Headline metrics with their interval, the majority baseline and any comparison."""
    title = f"{result.ref} on {result.rows} rows (data {result.dataset_sha256[:12]})"
    table = Table(title=escape(title), title_justify="left")
    for column in ("metric", "value", "95% interval", "majority baseline"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    comparison = result.comparison
    if comparison is not None:
        table.add_column(escape(f"{comparison.ref} (v{comparison.version})"), justify="right")
        table.add_column("Δ", justify="right")
    for name in result.headline():
        interval = result.intervals.get(name)
        row = [
            name,
            _num(result.metrics[name]),
            "" if interval is None else f"[{interval.low:.4f}, {interval.high:.4f}]",
            _num(result.baseline.get(name)),
        ]
        if comparison is not None:
            row += [_num(comparison.metrics.get(name)), _num(comparison.deltas.get(name))]
        table.add_row(*row)
    return table


def per_class_table(result: EvaluationResult) -> Table:
    """Precision, recall, F1 and support of every class."""
    table = Table(title="per class", title_justify="left")
    for column in ("class", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for name in result.classes:
        figures = result.per_class[name]
        table.add_row(
            escape(name),
            *(_num(figures[m]) for m in ("precision", "recall", "f1")),
            f"{figures['support']:.0f}",
        )
    return table


def gates_table(promotion: Promotion) -> Table:
    """Every gate: value, threshold, pass or fail."""
    table = Table(
        title=escape(f"gates for {promotion.name}@{promotion.alias}"), title_justify="left"
    )
    for column in ("gate", "value", "threshold", "result"):
        table.add_column(column)
    for verdict in promotion.verdicts:
        mark = "[green]pass[/green]" if verdict.passed else "[red]FAIL[/red]"
        table.add_row(escape(verdict.gate), escape(verdict.value), verdict.threshold, mark)
    return table


def _show(result: EvaluationResult) -> None:
    console.print(metrics_table(result))
    if result.task == "classification":
        console.print(per_class_table(result))
    if result.slices:
        columns = ", ".join(result.slice_columns)
        console.print(
            f"{len(result.slices)} slices over {columns}: see the reports for their metrics",
            markup=False,
        )
    if result.representativeness is not None:
        differing = result.representativeness.differing
        rule = result.representativeness.rule
        console.print(
            f"data unlike the training profile ({rule}): {', '.join(differing)}"
            if differing
            else f"every feature is like the training profile ({rule})",
            markup=False,
        )


def _reports(
    result: EvaluationResult,
    report: Path | None,
    json_path: Path | None,
    promotion: Promotion | None = None,
) -> None:
    from modelyard.evaluation.report_html import write_html
    from modelyard.evaluation.report_json import write_json

    try:
        if report is not None:
            console.print(f"HTML report: {write_html(report, result, promotion)}", markup=False)
        if json_path is not None:
            console.print(f"JSON report: {write_json(json_path, result, promotion)}", markup=False)
    except OSError as error:
        raise ConfigError(f"cannot write the report {error.filename}: {error.strerror}") from None


def evaluate(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME:VERSION or NAME@ALIAS to evaluate"),
    data: Path = DATA,
    target: str | None = TARGET,
    baseline: str | None = typer.Option(
        None, "--baseline", help="another version to compare with on the same rows (NAME@ALIAS)"
    ),
    slices: list[str] = SLICES,
    bootstrap: int = BOOTSTRAP,
    seed: int = SEED,
    report: Path | None = REPORT,
    json_path: Path | None = JSON,
) -> None:
    """Evaluate a version through its own serving pipeline on a labelled file."""
    with working(
        f"evaluating {ref}: loading the model and the data", bootstrap * (2 if baseline else 1)
    ) as step:
        from modelyard.evaluation import evaluate as run_evaluation  # loads scikit-learn

        result = run_evaluation(
            ref,
            data,
            target,
            registry=registry_from(ctx),
            baseline=baseline,
            slices=slices,
            bootstrap=bootstrap,
            seed=seed,
            on_resample=step.advance,
        )
    _show(result)
    _reports(result, report, json_path)


def promote(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME:VERSION to promote"),
    to: str = typer.Option(..., "--to", help="the alias to move, e.g. production"),
    data: Path = DATA,
    target: str | None = TARGET,
    gates: Path = typer.Option(..., "--gates", help="YAML file of the gates to pass"),
    force: bool = typer.Option(False, "--force", help="move the alias even if gates fail"),
    reason: str | None = typer.Option(None, "--reason", help="why (required with --force)"),
    slices: list[str] = SLICES,
    bootstrap: int = BOOTSTRAP,
    seed: int = SEED,
    report: Path | None = REPORT,
    json_path: Path | None = JSON,
) -> None:
    """Evaluate, check every gate, and move the alias only when all pass."""
    with working(f"evaluating {ref}: loading the model and the data", bootstrap) as step:
        from modelyard.evaluation import GatesRefusedError
        from modelyard.evaluation import promote as run_promotion  # loads scikit-learn

        try:
            promotion = run_promotion(
                ref,
                to,
                data,
                target,
                gates,
                registry=registry_from(ctx),
                force=force,
                reason=reason,
                slices=slices,
                bootstrap=bootstrap,
                seed=seed,
                on_resample=step.advance,
            )
        except GatesRefusedError as refused:
            promotion = refused.promotion
    _show(promotion.result)
    console.print(gates_table(promotion))
    _reports(promotion.result, report, json_path, promotion)
    event = promotion.event
    if event is None:
        failed = len(promotion.failed)
        err_console.print(
            f"refused: {failed} of {len(promotion.verdicts)} gates failed; "
            f"{promotion.name}@{promotion.alias} was not moved (--force --reason to override)",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    before = "nothing" if event.from_version is None else f"version {event.from_version}"
    forced = " (FORCED past failed gates, recorded in the audit log)" if promotion.forced else ""
    console.print(
        f"{promotion.name}@{promotion.alias}: {before} → version {event.to_version}{forced}",
        markup=False,
    )
