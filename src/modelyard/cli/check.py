"""``modelyard check [endpoints.yaml] [--gates FILE]``: catch a bad file before it is used.

The gates files endpoints name in ``monitoring.gates`` are checked like ``--gates``.

An endpoints file is validated, and every arm of every endpoint (its model, and the other
versions its ``traffic:`` rollout serves or mirrors to) resolved and loaded once; a gates file
is validated against the metrics modelyard computes (and a model's classes with ``--model``).

Meant for CI: a file that would not serve fails here, with one ``error: file:line: message``
per problem and exit code 2, before a server ever starts. Every endpoint is checked, so one
run lists every problem of the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from modelyard.cli.context import console, registry_from
from modelyard.cli.errors import USAGE_ERROR, print_error
from modelyard.cli.progress import working
from modelyard.core.errors import ConfigError, ModelyardError

if TYPE_CHECKING:
    from modelyard.pipeline.components import Origin
    from modelyard.pipeline.endpoint import Endpoint
    from modelyard.pipeline.spec import EndpointSpec
    from modelyard.pipeline.traffic import ArmPlan
    from modelyard.registry import Registry


def _check_endpoints(ctx: typer.Context, endpoints_file: Path, store_url: str | None) -> bool:
    """Check every arm of every endpoint of the file; print its problems; True when all are
    fine."""
    table = Table(title=str(endpoints_file), title_justify="left")
    for column in ("endpoint", "arm", "ref", "version", "pipeline", "status"):
        table.add_column(column)
    with working(f"checking {endpoints_file}") as step:
        from modelyard.pipeline.components import Origin
        from modelyard.pipeline.endpoint import read_endpoints_file

        try:
            endpoints, root = read_endpoints_file(endpoints_file)
            store = registry_from(ctx, store_url)
        except ModelyardError as error:
            print_error(str(error))
            return False
        failed = False
        for i, spec in enumerate(endpoints.endpoints):
            origin = Origin(str(endpoints_file), root, ("endpoints", i))
            for arm in spec.traffic.plan(spec.model):
                step.say(f"checking {endpoints_file}: loading {arm.ref}")
                failed = not _check_arm(table, spec, arm, store, origin) or failed
    console.print(table)
    monitored = [spec.monitoring for spec in endpoints.endpoints if spec.monitoring is not None]
    for gates in sorted({monitoring.gates for monitoring in monitored if monitoring.gates}):
        failed = not _check_gates(ctx, Path(gates), None, store_url) or failed
    return not failed


def _check_arm(
    table: Table, spec: EndpointSpec, arm: ArmPlan, store: Registry, origin: Origin
) -> bool:
    """Load one arm as the server would; add its row; print its problem if it fails."""
    from modelyard.pipeline.endpoint import Endpoint

    try:
        endpoint = Endpoint.for_arm(spec, arm, store, origin)
    except ModelyardError as error:
        message = str(error)
        if not message.startswith(f"{origin.source}:"):
            # raised by the model's package or runner: point at the ref that chose it
            message = str(origin.at(*arm.loc).error(f"{arm.ref}: {message}"))
        print_error(message)
        table.add_row(spec.id, arm.name, arm.ref, "-", "-", "[red]failed[/red]")
        return False
    unlabelled = _agreement_without_labels(spec, arm, endpoint)
    if unlabelled is not None:
        print_error(str(origin.at("traffic", "min_agreement").error(unlabelled)))
        version = str(endpoint.model.version)
        table.add_row(spec.id, arm.name, arm.ref, version, "-", "[red]failed[/red]")
        endpoint.close()
        return False
    overridden = ", ".join(endpoint.pipeline.overridden)
    table.add_row(
        spec.id,
        arm.name,
        arm.ref,
        str(endpoint.model.version),
        f"override: {overridden}" if overridden else "manifest",
        "[green]OK[/green]",
    )
    endpoint.close()
    return True


def _agreement_without_labels(spec: EndpointSpec, arm: ArmPlan, endpoint: Endpoint) -> str | None:
    """Why a canary's ``min_agreement`` cannot be judged on this arm, if it cannot: agreement
    compares labels, and a model without any would leave every step unjudged."""
    traffic = spec.traffic
    if getattr(traffic, "min_agreement", None) is None or endpoint.pipeline.output_context.classes:
        return None
    return (
        f"{arm.ref} predicts no labels, so min_agreement can never be judged (each step would "
        "end inconclusive): remove it, or use a classifier"
    )


def _check_gates(ctx: typer.Context, gates: Path, model: str | None, store_url: str | None) -> bool:
    """Validate a gates file (and, with ``model``, its names against that version)."""
    try:
        with working(f"checking {gates}"):
            from modelyard.evaluation.promotion import check_gates  # loads scikit-learn

            store = registry_from(ctx, store_url) if model else None
            checked = check_gates(gates, model, registry=store)
    except ModelyardError as error:
        message = str(error)
        print_error(message if message.startswith(str(gates)) else f"{gates}: {message}")
        return False
    against = f" against {model}" if model else ""
    console.print(f"{gates}: {len(checked)} gates OK{against}", markup=False)
    return True


def check(
    ctx: typer.Context,
    endpoints_file: Path | None = typer.Argument(
        None, help="the endpoints.yaml to check (validate, resolve every ref, load every model)"
    ),
    gates: Path | None = typer.Option(
        None, "--gates", help="a gates YAML file to validate (metric and class names)"
    ),
    model: str | None = typer.Option(
        None, "--model", help="with --gates: NAME:VERSION whose metrics and classes gates name"
    ),
    registry: str | None = typer.Option(
        None,
        "--registry",
        metavar="URL",
        help="SQLAlchemy URL of the registry (default: the root option)",
    ),
) -> None:
    """Check an endpoints file and/or a gates file before they reach a server or a promotion.

    Meant for CI: every problem is printed as ``error: file:line: message`` and the exit code is 2.
    """
    if endpoints_file is None and gates is None:
        raise ConfigError("nothing to check: expected an endpoints file, --gates FILE, or both")
    ok = True
    if endpoints_file is not None:
        ok = _check_endpoints(ctx, endpoints_file, registry) and ok
    if gates is not None:
        ok = _check_gates(ctx, gates, model, registry) and ok
    if not ok:
        raise typer.Exit(USAGE_ERROR)
