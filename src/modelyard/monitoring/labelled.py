"""Labels in, labelled predictions out: the library face of feedback and live performance.

``modelyard.add_labels`` keeps a file (or DataFrame) of true labels for requests an endpoint
logged; :func:`live_performance` joins an endpoint's logged predictions with them and judges
them per window (:mod:`modelyard.monitoring.performance`). The CLI and the server call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from modelyard.core.errors import ConfigError
from modelyard.evaluation.gates import Gate, load_gates
from modelyard.monitoring.columns import FIXED, OUTPUT
from modelyard.monitoring.performance import (
    DEFAULT_MIN_ROWS,
    EPOCH,
    Judging,
    VersionFacts,
    join_labels,
    min_rows_of,
    performance,
    version_facts,
)
from modelyard.monitoring.performance_report import PerformanceReport
from modelyard.pipeline.endpoint import read_endpoints_file
from modelyard.pipeline.spec import EndpointSpec
from modelyard.registry import Registry
from modelyard.registry.labels import Label, LabelCount

if TYPE_CHECKING:
    from modelyard.monitoring.store import LogStore

LABEL_COLUMNS = ("request_id", "label")
"""The columns a labels file must have (``instance`` is optional: 0)."""

SCORED_COLUMNS = (*FIXED, OUTPUT)
"""What live performance reads from the log: who answered what, never the inputs."""

SHOWN_UNKNOWN = 5
"""Unknown request ids named in an answer; the rest are counted."""


@dataclass(frozen=True)
class LabelsAdded:
    """What :func:`add_labels` kept: new labels, corrections, and the ids the log lacks."""

    stored: int
    replaced: int
    unknown: int
    unknown_ids: list[str]

    def summary(self) -> str:
        """One line for a person."""
        line = f"{self.stored} labels stored, {self.replaced} replaced, {self.unknown} unknown"
        if self.unknown_ids:
            more = ", …" if self.unknown > len(self.unknown_ids) else ""
            line += f" (not in the prediction log: {', '.join(self.unknown_ids)}{more})"
        return line


def endpoint_spec(endpoint: str, endpoints: str | Path | None) -> EndpointSpec | None:
    """``endpoint``'s spec in the endpoints file, ``None`` without a file; unknown: an error."""
    if endpoints is None:
        return None
    specs = {spec.id: spec for spec in read_endpoints_file(endpoints)[0].endpoints}
    if endpoint not in specs:
        raise ConfigError(
            f"{endpoints}: no endpoint {endpoint!r}; endpoints: {', '.join(sorted(specs))}"
        )
    return specs[endpoint]


def store_name(spec: EndpointSpec | None, store: str | None) -> str:
    """Where the log is: ``store`` (``registry`` or ``parquet:PATH``), else the endpoint's
    ``logging.store``, else the registry database."""
    return store or (spec.logging.store if spec is not None else "registry")


def log_store(registry: Registry, spec: EndpointSpec | None, store: str | None) -> LogStore:
    """The prediction log :func:`store_name` names."""
    from modelyard.monitoring.store import open_store

    return open_store(store_name(spec, store), registry)


def read_labels_table(data: pd.DataFrame | str | Path) -> list[Label]:
    """A DataFrame, CSV or Parquet file (by extension) of ``request_id``, ``label`` and an
    optional ``instance`` (default 0), as labels."""
    if isinstance(data, pd.DataFrame):
        table = data
    else:
        path = Path(data)
        try:
            table = (
                pd.read_parquet(path)
                if path.suffix == ".parquet"
                else pd.read_csv(
                    path, dtype={"request_id": str, "label": str}, keep_default_na=False
                )
            )
        except FileNotFoundError:
            raise ConfigError(f"no labels file {path}") from None
        except (OSError, ValueError):
            kind = "Parquet" if path.suffix == ".parquet" else "CSV"
            raise ConfigError(
                f"cannot read labels file {path}: expected a {kind} file with columns "
                "request_id, label and optionally instance"
            ) from None
    missing = [column for column in LABEL_COLUMNS if column not in table.columns]
    if missing:
        raise ConfigError(
            f"the labels have no {', '.join(missing)} column: expected columns request_id, "
            "label and optionally instance"
        )
    instances = table["instance"] if "instance" in table.columns else pd.Series(0, table.index)
    try:
        numbers = instances.astype("int64")
    except (TypeError, ValueError):
        raise ConfigError("the labels' instance column must hold whole numbers (0, 1, …)") from None
    return [
        Label(str(request_id), int(instance), str(label))
        for request_id, instance, label in zip(
            table["request_id"], numbers, table["label"], strict=True
        )
    ]


def add_labels(
    endpoint: str,
    data: pd.DataFrame | str | Path,
    *,
    registry: Registry | None = None,
    store: str | None = None,
    endpoints: str | Path | None = None,
    actor: str | None = None,
) -> LabelsAdded:
    """Keep the true labels in ``data`` for requests ``endpoint`` logged, however old.

    ``data`` is a DataFrame or a CSV/Parquet path with ``request_id``, ``label`` and an
    optional ``instance``. Request ids the endpoint's prediction log does not hold are
    counted and not kept. The log is ``store``, else the endpoint's ``logging.store`` in
    ``endpoints``, else the registry database. A label already kept is replaced.
    """
    labels = read_labels_table(data)
    registry = registry or Registry(create=False)
    log = log_store(registry, endpoint_spec(endpoint, endpoints), store)
    known = set(log.read(endpoint, columns=["request_id"])["request_id"].astype(str))
    kept = [label for label in labels if label.request_id in known]
    unknown = sorted({label.request_id for label in labels} - known)
    count = registry.labels.add(endpoint, kept, actor) if kept else LabelCount(0, 0)
    return LabelsAdded(count.new, count.replaced, len(unknown), unknown[:SHOWN_UNKNOWN])


def labels_frame(registry: Registry, endpoint: str, since: datetime | None) -> pd.DataFrame:
    """``endpoint``'s labels kept since ``since`` as a DataFrame (request_id, instance, label)."""
    rows = registry.labels.since(endpoint, since)
    return pd.DataFrame(
        {
            "request_id": [row.request_id for row in rows],
            "instance": [row.instance for row in rows],
            "label": [row.label for row in rows],
        }
    )


def live_performance(
    endpoint: str,
    *,
    registry: Registry | None = None,
    store: str | None = None,
    endpoints: str | Path | None = None,
    spec: EndpointSpec | None = None,
    since: timedelta = timedelta(days=7),
    window: timedelta = timedelta(days=1),
    variant: str | None = None,
    gates: str | Path | None = None,
    min_rows: int | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
) -> PerformanceReport:
    """``endpoint``'s metrics per variant, version and ``window`` over the last ``since``.

    The endpoint's spec (its log store, ``monitoring.gates`` and ``min_rows``) is ``spec``
    (what a server holds), else read from the ``endpoints`` file, else none.
    Gates come from ``gates`` and the endpoint's ``monitoring.gates``; a window with fewer
    labelled rows than ``min_rows`` (else a ``min_rows`` gate, else ``monitoring.min_rows``,
    else 100) is not judged. ``bootstrap`` resamples seeded by ``seed`` give each metric's
    interval, as in ``modelyard evaluate``. Windows are cut from the Unix epoch (``1d``: UTC
    days), except when ``window`` equals ``since``: one window, exactly the last ``since``.
    """
    if window <= timedelta(0) or since <= timedelta(0):
        raise ConfigError("--window and --since must be positive durations (e.g. 1d, 7d)")
    registry = registry or Registry(create=False)
    spec = spec or endpoint_spec(endpoint, endpoints)
    until = datetime.now(UTC)
    start = until - since
    # A label arrives after its prediction: labels older than the first prediction are not read.
    predictions = log_store(registry, spec, store).read(
        endpoint, since=start, variant=variant, columns=SCORED_COLUMNS
    )
    joined = join_labels(predictions, labels_frame(registry, endpoint, start))
    facts: dict[tuple[str, int], VersionFacts] = {}
    for model, number in set(
        zip(joined["model"].astype(str), joined["version"].astype(int), strict=True)
    ):
        facts[(model, number)] = version_facts(registry.get(f"{model}:{number}"), registry)
    gate_list = _gates(gates, spec)
    judging = Judging(
        since=start,
        until=until,
        window=window,
        min_rows=min_rows or min_rows_of(gate_list, _spec_min_rows(spec)),
        gates=gate_list,
        bootstrap=bootstrap,
        seed=seed,
        grid_from=start if window == since else EPOCH,
    )
    return performance(endpoint, joined, facts, judging)


def _spec_min_rows(spec: EndpointSpec | None) -> int:
    return spec.monitoring.min_rows if spec is not None and spec.monitoring else DEFAULT_MIN_ROWS


def _gates(path: str | Path | None, spec: EndpointSpec | None) -> list[Gate]:
    """The gates of ``path`` and of the endpoint's ``monitoring.gates``, both when both."""
    files: list[Any] = [path] if path is not None else []
    if spec is not None and spec.monitoring and spec.monitoring.gates:
        files.append(spec.monitoring.gates)
    return [gate for file in files for gate in load_gates(file)]
