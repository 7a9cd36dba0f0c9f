"""An MLflow run's record as modelyard lineage: parameters, metrics, git commit, datasets.

MLflow's tags ``mlflow.source.git.commit``, ``…branch`` and ``…repoURL`` become the lineage's
git (whether the tree was dirty is not recorded there, so it stays unknown); the run's
parameters its ``params``; its metrics and dataset inputs, which are MLflow's claims rather
than measurements modelyard made, the ``imported`` block with the source URI. URLs are
stored without credentials or query string (a presigned URL's query is its key).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from modelyard.core.errors import NotFoundError
from modelyard.package.lineage import without_credentials
from modelyard.package.manifest import GitInfo, ImportedDataset, ImportedFrom, Lineage

if TYPE_CHECKING:
    from mlflow.entities import DatasetInput, Run

_GIT = "mlflow.source.git."
_CONTEXT = "mlflow.data.context"


@dataclass(frozen=True)
class RunRecord:
    """What the run that made a model recorded, in modelyard's terms."""

    run_id: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    git: GitInfo | None = None
    datasets: list[ImportedDataset] = field(default_factory=list)


def _git(tags: dict[str, str]) -> GitInfo | None:
    commit = tags.get(_GIT + "commit")
    if not commit:
        return None
    remote = tags.get(_GIT + "repoURL")
    return GitInfo(
        commit=commit,
        branch=tags.get(_GIT + "branch") or None,
        dirty=None,
        remote=without_credentials(remote) if remote else None,
    )


def _rows(profile: str | None) -> int | None:
    try:
        rows = json.loads(profile or "{}").get("num_rows")
    except (ValueError, AttributeError):
        return None
    return rows if isinstance(rows, int) else None


def _public(value: Any) -> Any:
    """``value`` with every URL in it stripped of credentials and query: a presigned URL's
    query is its key, and neither belongs in a manifest anyone may read."""
    if isinstance(value, dict):
        return {key: _public(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_public(item) for item in value]
    if not isinstance(value, str):
        return value
    parts = urlsplit(value)
    if not (parts.scheme and parts.netloc):
        return value
    return urlunsplit(urlsplit(without_credentials(value))._replace(query=""))


def _source(text: str | None) -> str | None:
    """A dataset's source as MLflow records it (mostly a JSON object such as
    ``{"url": ...}`` or ``{"uri": ...}``, sometimes a bare URL), made public."""
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return str(_public(text))
    public = _public(parsed)
    return text if public == parsed else json.dumps(public)


def _dataset(entry: DatasetInput) -> ImportedDataset:
    data = entry.dataset
    context = next((tag.value for tag in entry.tags if tag.key == _CONTEXT), None)
    return ImportedDataset(
        name=data.name,
        digest=data.digest,
        context=context,
        source_type=data.source_type or None,
        source=_source(data.source),
        rows=_rows(data.profile),
    )


def run_record(run: Run) -> RunRecord:
    """The run's parameters, finite metrics (JSON has no NaN), git commit and dataset inputs."""
    inputs = run.inputs.dataset_inputs if run.inputs is not None else []
    return RunRecord(
        run_id=run.info.run_id,
        params=dict(run.data.params),
        metrics={key: value for key, value in run.data.metrics.items() if math.isfinite(value)},
        git=_git(dict(run.data.tags)),
        datasets=[_dataset(entry) for entry in inputs],
    )


def read_run(run_id: str, tracking_uri: str | None, uri: str) -> RunRecord:
    """The record of run ``run_id`` in the tracking store, or a one-line error naming it."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        run = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri).get_run(run_id)
    except MlflowException:
        raise NotFoundError(
            f"the tracking store has no run {run_id}, which made {uri}: expected the store the "
            "model was logged to (--tracking-uri)"
        ) from None
    return run_record(run)


def imported_lineage(built: Lineage, source: ImportedFrom, run: RunRecord | None) -> Lineage:
    """``built`` (the builder's lineage: sample fingerprint, machine, time) told where the
    model came from; the git of the importing directory is dropped, since it did not make it."""
    if run is None:
        return built.model_copy(update={"git": None, "imported": source})
    imported = source.model_copy(update={"metrics": run.metrics, "datasets": run.datasets})
    return built.model_copy(update={"git": run.git, "imported": imported})
