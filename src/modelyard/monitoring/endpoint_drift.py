"""Drift of what an endpoint saw: its logged requests (or a file), version by version.

The prediction log records which variant and model version answered each request, and each
version is compared with its *own* reference: a window that spans a reload holds requests of
two versions, and mixing them would call a change of model a drift of the data. Only
answered requests count (a refused request's inputs are what the refusal was about).

The predictions are compared the same way: the version's answers for its reference rows
(computed through its own pipeline, so exactly what the server would have answered) against
the answers it logged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.monitoring.columns import FIXED, INPUT, output_column
from modelyard.monitoring.drift import MIN_ROWS, measure_drift, reference_predictions
from modelyard.monitoring.drift_report import DriftReport
from modelyard.monitoring.labelled import endpoint_spec, log_store, store_name
from modelyard.monitoring.read import no_records
from modelyard.monitoring.reference import Reference, load_reference
from modelyard.package.datasets import read_table
from modelyard.pipeline.endpoint import Endpoint
from modelyard.pipeline.pipeline import Pipeline
from modelyard.pipeline.spec import EndpointSpec
from modelyard.registry import Registry

PREDICTION_KEYS = ("label", "value")
"""The answer each kind of model is judged by: a classifier's label, a regressor's value."""

DRIFT_COLUMNS = (*FIXED, INPUT, *(output_column(key) for key in PREDICTION_KEYS))
"""What drift reads from the log: the inputs and the answer it judges, not every output."""


NO_PREDICTION_BASELINE = (
    "prediction drift not computed: this version has no reference sample, so there are no "
    "reference rows for it to answer"
)
"""Why an older version's report has no prediction drift (its features are judged on the
profile's bins)."""


class VersionDrift(BaseModel):
    """The drift of the requests one variant answered with one model version."""

    variant: str
    model: str
    version: int
    report: DriftReport


class EndpointDrift(BaseModel):
    """What ``modelyard monitor ENDPOINT`` reports: where the current data came from and
    the drift of each (variant, version) in it."""

    endpoint: str
    source: str
    """``log`` (the endpoint's prediction log since ``since``) or the path of a data file."""
    since: datetime | None
    rows: int
    versions: list[VersionDrift]


@dataclass
class Baseline:
    """What a version's requests are compared with: its reference, and its pipeline's
    answers for the reference rows (``None`` without a reference sample)."""

    reference: Reference
    predictions: pd.Series | None

    @classmethod
    def of(cls, pipeline: Pipeline) -> Baseline:
        """The baseline of a loaded version (its package verified again as it is read)."""
        folder = pipeline.context.package_dir
        assert folder is not None, "a served pipeline has a package folder"
        reference = load_reference(Path(folder), pipeline.digest)
        frame = reference.frame
        answers = reference_predictions(pipeline, frame) if frame is not None else None
        return cls(reference, answers)


def logged_inputs(rows: pd.DataFrame) -> pd.DataFrame:
    """The inputs of logged records under their feature names."""
    inputs = [name for name in rows.columns if name.startswith(INPUT)]
    return rows[inputs].rename(columns=lambda name: name[len(INPUT) :])


def logged_predictions(rows: pd.DataFrame) -> pd.Series | None:
    """The answers of logged records (``label`` or ``value``), if the log has them."""
    for key in PREDICTION_KEYS:
        column = output_column(key)
        if column in rows.columns:
            return rows[column].rename(key)
    return None


def version_drift(
    baseline: Baseline,
    inputs: pd.DataFrame,
    predictions: pd.Series | None,
    *,
    min_rows: int,
) -> DriftReport:
    """``inputs`` (feature columns) and their ``predictions`` against ``baseline``."""
    pair = None
    if baseline.predictions is not None and predictions is not None:
        pair = (baseline.predictions, predictions.rename(str(baseline.predictions.name)))
    report = measure_drift(baseline.reference, inputs, min_rows=min_rows, predictions=pair)
    if predictions is not None and pair is None and not report.note:
        report = report.model_copy(update={"note": NO_PREDICTION_BASELINE})
    return report


def drift_of_log(
    log: pd.DataFrame,
    baseline_of: Callable[[str, int], Baseline],
    *,
    min_rows: int,
    variant: str | None = None,
) -> list[VersionDrift]:
    """Drift per (variant, version) of the answered requests in ``log``.

    ``baseline_of(model, version)`` gives a version's baseline (the caller loads or caches
    it). ``variant`` keeps one variant's requests only.
    """
    answered = log[log["status"] == 200] if len(log) else log
    if variant is not None:
        answered = answered[answered["variant"] == variant]
    found = []
    keys = ["variant", "model", "version"]
    for name, model, version in (
        answered[keys].drop_duplicates().sort_values(keys).itertuples(index=False)
    ):
        rows = answered[
            (answered["variant"] == name)
            & (answered["model"] == model)
            & (answered["version"] == version)
        ]
        report = version_drift(
            baseline_of(str(model), int(version)),
            logged_inputs(rows),
            logged_predictions(rows),
            min_rows=min_rows,
        )
        found.append(
            VersionDrift(variant=str(name), model=str(model), version=int(version), report=report)
        )
    return found


BASELINES_KEPT = 4
"""Versions whose baselines a loader keeps: those served now (an A/B or a canary has two or
three); a version no longer served falls out as the next one is loaded."""


class BaselineLoader:
    """``baseline_of(model, version)`` for :func:`drift_of_log`: each version loaded through
    the endpoint's pipeline overrides, the ``keep`` most recently used kept (a long-lived
    dashboard sees versions come and go). Safe to call from several threads: a version is
    loaded once even when two pages ask for it at the same time."""

    def __init__(
        self, registry: Registry, spec: EndpointSpec | None, keep: int = BASELINES_KEPT
    ) -> None:
        self._registry = registry
        self._overrides = spec.pipeline if spec is not None else None
        self._keep = keep
        self._lock = threading.Lock()
        self._baselines: OrderedDict[tuple[str, int], Baseline] = OrderedDict()

    @property
    def kept(self) -> list[tuple[str, int]]:
        """The (model, version)s whose baselines are kept, least recently used first."""
        with self._lock:
            return list(self._baselines)

    def __call__(self, model: str, version: int) -> Baseline:
        key = (model, version)
        with self._lock:  # held while loading: a second caller waits for the first's load
            if key in self._baselines:
                self._baselines.move_to_end(key)
                return self._baselines[key]
            record = self._registry.get(f"{model}:{version}")
            with Pipeline.from_version(record, self._registry, self._overrides) as pipeline:
                baseline = Baseline.of(pipeline)
            self._baselines[key] = baseline
            while len(self._baselines) > self._keep:
                self._baselines.popitem(last=False)
            return baseline


def baseline_loader(registry: Registry, spec: EndpointSpec | None) -> BaselineLoader:
    """``baseline_of(model, version)`` for :func:`drift_of_log` (see :class:`BaselineLoader`)."""
    return BaselineLoader(registry, spec)


def endpoint_drift(
    endpoint: str,
    *,
    registry: Registry | None = None,
    store: str | None = None,
    endpoints: str | Path | None = None,
    since: timedelta = timedelta(hours=24),
    data: str | Path | None = None,
    variant: str | None = None,
    min_rows: int = MIN_ROWS,
) -> EndpointDrift:
    """The drift of ``endpoint``'s logged requests of the last ``since`` (or of the rows of
    ``data``, a CSV or Parquet file, scored by the endpoint's model), per variant and version.

    ``endpoints`` (the endpoints file) gives the endpoint's log store and pipeline overrides;
    ``data`` needs it, to know which model the endpoint serves. ``store`` overrides the
    file's ``logging.store``.
    """
    registry = registry or Registry(create=False)
    spec = endpoint_spec(endpoint, endpoints)
    if data is not None:
        return _file_drift(endpoint, spec, registry, Path(data), min_rows)
    start = datetime.now(UTC) - since
    logs = log_store(registry, spec, store)
    log = logs.read(endpoint, since=start, variant=variant, columns=DRIFT_COLUMNS)
    if not len(log) and variant is None:  # a named variant may just not have answered yet
        newest = logs.read(endpoint, limit=1, newest_first=True)
        if not len(newest):
            raise no_records(endpoint, store_name(spec, store))
        raise NotFoundError(
            f"endpoint {endpoint!r} logged nothing since {start:%Y-%m-%d %H:%M} UTC (its newest "
            f"record is from {newest['time'].iloc[0]:%Y-%m-%d %H:%M} UTC): widen --since"
        )
    versions = drift_of_log(
        log, baseline_loader(registry, spec), min_rows=min_rows, variant=variant
    )
    return EndpointDrift(
        endpoint=endpoint, source="log", since=start, rows=len(log), versions=versions
    )


def _file_drift(
    endpoint: str, spec: EndpointSpec | None, registry: Registry, data: Path, min_rows: int
) -> EndpointDrift:
    """The rows of ``data`` scored by the model ``spec`` serves, against its reference."""
    if spec is None:
        raise ConfigError(
            f"--data needs to know which model endpoint {endpoint!r} serves: pass --endpoints "
            "FILE (the endpoints file that declares it)"
        )
    try:
        frame = read_table(data)
    except ValueError:  # pandas' and pyarrow's parse errors (a corrupt or misnamed file)
        raise ConfigError(
            f"--data {data} cannot be read: expected a CSV or Parquet file of the endpoint's "
            "features, one row per request"
        ) from None
    served = Endpoint(spec, registry)
    try:
        pipeline = served.pipeline
        report = version_drift(
            Baseline.of(pipeline),
            frame,
            reference_predictions(pipeline, frame),
            min_rows=min_rows,
        )
        model = pipeline.model
        assert model.version is not None
        primary = spec.traffic.primary_arm(spec.model)
        found = VersionDrift(
            variant=primary, model=model.name, version=model.version, report=report
        )
    finally:
        served.close()
    return EndpointDrift(
        endpoint=endpoint, source=str(data), since=None, rows=len(frame), versions=[found]
    )
