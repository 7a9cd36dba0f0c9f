"""Rich renderings of registry objects, shared by the commands that print them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from modelyard.package.manifest import ImportedFrom, Lineage, Manifest
    from modelyard.registry import AliasEvent, ModelVersion


MAX_LISTED_COLUMNS = 16
"""Beyond this many columns (64 pixels, say) the signature table shows a one-line summary."""


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def key_values(title: str, rows: Iterable[tuple[str, Any]]) -> Table:
    """A two-column table of labelled values."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(escape(key), "-" if value is None or value == "" else escape(str(value)))
    return table


def alias_events(events: list[AliasEvent]) -> Table:
    """Every move of an alias: when, who, from, to, why."""
    table = Table(title="alias history", title_justify="left")
    for column in ("when", "alias", "from", "to", "actor", "forced", "reason"):
        table.add_column(column)
    for event in events:
        table.add_row(
            _when(event.at),
            event.alias,
            "-" if event.from_version is None else str(event.from_version),
            "-" if event.to_version is None else str(event.to_version),
            event.actor,
            "yes" if getattr(event, "forced", False) else "",
            escape(event.reason or ""),
        )
    return table


def signature(manifest: Manifest, full: bool = False) -> Table:
    """Inputs and outputs, with the tabular columns (summarised when many, unless ``full``)."""
    sig = manifest.signature
    table = Table(title=f"signature ({sig.task})", title_justify="left")
    for column in ("kind", "name", "dtype", "shape"):
        table.add_column(column)
    if not full and len(sig.columns) > MAX_LISTED_COLUMNS:
        dtypes = sorted({spec.dtype for spec in sig.columns})
        names = f"{sig.columns[0].name} … {sig.columns[-1].name}"
        table.add_row(f"{len(sig.columns)} columns", names, ", ".join(dtypes), "")
    else:
        for spec in sig.columns:
            kind = "column (categorical)" if spec.categorical else "column"
            table.add_row(kind, spec.name, spec.dtype, "")
    for tensor in sig.inputs:
        table.add_row("input", tensor.name, tensor.dtype, str(tensor.shape))
    for tensor in sig.outputs:
        table.add_row("output", tensor.name, tensor.dtype, str(tensor.shape))
    if sig.classes is not None:
        table.caption = f"classes: {', '.join(map(str, sig.classes))}"
    return table


def _imported(origin: ImportedFrom) -> list[tuple[str, Any]]:
    """Where an imported model came from, and the metrics and datasets its run recorded."""
    rows: list[tuple[str, Any]] = [
        ("imported from", f"{origin.system} {origin.uri}"),
        (f"{origin.system} run", origin.run_id),
    ]
    rows += [(f"run metric {key}", value) for key, value in origin.metrics.items()]
    for data in origin.datasets:
        size = f", {data.rows} rows" if data.rows is not None else ""
        rows.append((f"{data.context or 'input'} dataset", f"{data.name} ({data.digest}{size})"))
    return rows


def lineage(lin: Lineage) -> list[Table]:
    """The code, data and split that made the model."""
    git = lin.git
    unknown = "not in a git repository"
    if lin.imported is not None:
        unknown = f"not recorded in {lin.imported.system}"
    rows: list[tuple[str, Any]] = [("git commit", unknown)]
    if git is not None:
        changed = f"yes ({len(git.changed_files)} changed files)" if git.dirty else "no"
        if git.dirty is None:
            changed = "unknown"
        rows = [
            ("git commit", git.commit),
            ("branch", git.branch),
            ("dirty", changed),
            ("remote", git.remote),
        ]
    rows += [
        ("python", lin.python),
        ("platform", lin.platform),
        ("created", f"{_when(lin.created_at)} by {lin.created_by}"),
    ]
    if lin.split is not None:
        rows.append(("split train rows", lin.split.train_rows_sha256[:16]))
        rows.append(("split test rows", lin.split.test_rows_sha256[:16]))
        rows.append(("rows in both", lin.split.overlap_rows))
    for key, value in lin.params.items():
        rows.append((f"param {key}", value))
    if lin.imported is not None:
        rows += _imported(lin.imported)
    tables = [key_values("lineage", rows)]
    if lin.datasets:
        data = Table(title="datasets", title_justify="left")
        for column in ("role", "rows", "sha256", "source", "dvc md5"):
            data.add_column(column)
        for ds in lin.datasets:
            data.add_row(ds.role, str(ds.rows), ds.sha256[:16], ds.source or "-", ds.dvc_md5 or "-")
        tables.append(data)
    return tables


def profile_summary(manifest: Manifest, limit: int | None = MAX_LISTED_COLUMNS) -> Table | None:
    """One row per profiled feature (the first ``limit``): type, missing rate, range or top."""
    if manifest.profile is None:
        return None
    features = manifest.profile.features
    shown = features if limit is None else features[:limit]
    table = Table(title=f"data profile ({manifest.profile.rows} rows)", title_justify="left")
    for column in ("feature", "dtype", "missing", "range / top"):
        table.add_column(column)
    if len(shown) < len(features):
        table.caption = f"… and {len(features) - len(shown)} more features (--full lists them)"
    for feature in shown:
        if feature.numeric is not None:
            summary = f"{feature.numeric.min:.4g} … {feature.numeric.max:.4g}"
        elif feature.categorical is not None and feature.categorical.top:
            top, share = next(iter(feature.categorical.top.items()))
            summary = f"{top} ({share:.0%}), {feature.categorical.unique} distinct"
        else:
            summary = "-"
        table.add_row(feature.name, feature.dtype, f"{feature.missing_rate:.1%}", summary)
    return table


HEADLINE = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "mae", "rmse", "r2")
"""The evaluation figures ``models show`` puts in its table; the reports hold the rest."""


def evaluations(results: list[dict[str, Any]]) -> Table | None:
    """One row per dataset the version was evaluated on: size, target and headline metrics."""
    if not results:
        return None
    shown = [m for m in HEADLINE if any(m in r.get("metrics", {}) for r in results)]
    table = Table(title="evaluations", title_justify="left")
    for column in ("data", "rows", "target", *shown, "when"):
        table.add_column(column)
    for result in results:
        metrics = result.get("metrics", {})
        figures = ["-" if metrics.get(m) is None else f"{metrics[m]:.4f}" for m in shown]
        table.add_row(
            str(result.get("dataset_sha256", ""))[:12],
            str(result.get("rows", "-")),
            escape(str(result.get("target", "-"))),
            *figures,
            str(result.get("created_at", "-"))[:19].replace("T", " "),
        )
    return table


def version_overview(version: ModelVersion) -> Table:
    """The identity of a version: number, digest, format, aliases, tags, parity and metrics."""
    manifest = version.manifest
    parity = manifest.parity
    rows: list[tuple[str, Any]] = [
        ("version", f"{version.name}:{version.version}"),
        ("digest", version.digest),
        ("format", f"{manifest.format} ({manifest.flavor})"),
        ("created", f"{_when(version.created_at)} by {version.created_by}"),
        ("aliases", ", ".join(f"@{a}" for a in version.aliases)),
        ("tags", ", ".join(f"{k}={v}" for k, v in version.tags.items())),
        (
            "pipeline",
            " → ".join(
                [manifest.pipeline.encoder.name, manifest.format]
                + [step.name for step in manifest.pipeline.postprocess]
                + [manifest.pipeline.formatter.name]
            ),
        ),
        ("requirements", ", ".join(f"{r.name}=={r.version}" for r in manifest.requirements)),
    ]
    if parity is not None:
        verdict = "labels equal, " if parity.labels_equal else ""
        rows.append(
            (
                "parity",
                f"{verdict}max |Δ| {parity.max_abs_diff:.2e} ≤ {parity.tolerance:g} "
                f"on {parity.rows} rows ({', '.join(parity.compared)})",
            )
        )
    if manifest.metrics is not None:
        for key, value in manifest.metrics.values.items():
            rows.append((f"test {key}", f"{value:.4f}"))
    return key_values(f"{version.name}:{version.version}", rows)
