"""``import_mlflow``: an MLflow model registered as a modelyard version.

The model goes through :func:`modelyard.api.package_model`, as ``log_model`` does: a
scikit-learn estimator is converted to ONNX and the conversion proved on the sample, an ONNX
graph is packaged as is, and either way the version's own pipeline must answer the sample
before it is registered. The import then adds what MLflow knew: the run's lineage and the
pins of ``requirements.txt``.
"""

from __future__ import annotations

import tempfile
from contextlib import closing, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from modelyard.api import package_model
from modelyard.core.errors import ConfigError
from modelyard.core.extras import missing_extra
from modelyard.importers.lineage import RunRecord, imported_lineage, read_run
from modelyard.importers.mlflow_model import (
    MlflowModel,
    pinned_requirements,
    read_model,
    sample_rows,
)
from modelyard.importers.mlflow_source import Source, existing_store, fetch, tracking_store
from modelyard.package.io import write_manifest
from modelyard.package.manifest import ImportedFrom, Manifest, Requirement
from modelyard.registry import Registry

if TYPE_CHECKING:
    from modelyard.registry import ModelVersion


def _require_mlflow() -> None:
    try:
        import mlflow  # noqa: F401
    except ImportError as error:
        raise missing_extra(error, "importing from MLflow") from None


def _run(source: Source, model: MlflowModel, tracking_uri: str | None) -> RunRecord | None:
    """The run that made the model: looked up for ``models:/`` and ``runs:/`` URIs, and for a
    folder only when a tracking store is named (a saved folder may have travelled alone)."""
    run_id = model.meta.run_id
    if run_id is None or (not source.remote and tracking_uri is None):
        return None
    return read_run(run_id, tracking_uri, source.uri)


def _requirements(built: list[Requirement], folder: Path) -> list[Requirement]:
    """The format's own requirements (what serves the file), then the training pins."""
    named = {canonicalize_name(entry.name) for entry in built}
    pins = [pin for pin in pinned_requirements(folder) if canonicalize_name(pin.name) not in named]
    return [*built, *pins]


def _provenance(
    folder: Path, manifest: Manifest, source: Source, model: MlflowModel, run: RunRecord | None
) -> None:
    origin = ImportedFrom(
        system="mlflow",
        uri=source.uri,
        flavor=model.flavor,
        run_id=model.meta.run_id,
        model_id=model.meta.model_uuid,
        system_version=model.meta.mlflow_version,
    )
    write_manifest(
        folder,
        manifest.model_copy(
            update={
                "lineage": imported_lineage(manifest.lineage, origin, run),
                "requirements": _requirements(manifest.requirements, source.folder),
            }
        ),
    )


def import_mlflow(
    model_uri: str,
    *,
    name: str | None = None,
    tracking_uri: str | None = None,
    sample: str | Path | Any = None,
    registry: Registry | None = None,
) -> ModelVersion:
    """Register the MLflow model at ``model_uri`` as the next version of ``name``.

    ``model_uri``: ``models:/NAME/VERSION``, ``models:/NAME@ALIAS``, ``runs:/RUN_ID/PATH`` or
    a local folder holding an ``MLmodel`` file. ``name`` defaults to the registered model's
    name (required for the other forms). ``tracking_uri``: the MLflow tracking store (default:
    MLflow's own, ``MLFLOW_TRACKING_URI``). ``sample``: feature rows (a CSV or Parquet path, a
    DataFrame or an array) for the parity proof and the data profile, when the model has no
    input example. ``registry``: where to register (default: the one :class:`Registry` finds,
    opened for this import and closed after it). The ``sklearn`` flavor is converted to ONNX
    and proved; ``onnx`` is taken as is; other flavors are refused.
    """
    _require_mlflow()
    existing_store(tracking_uri)
    with (
        closing(Registry()) if registry is None else nullcontext(registry) as store,
        tracking_store(tracking_uri),
        tempfile.TemporaryDirectory(prefix="modelyard-mlflow-") as workdir,
    ):
        source = fetch(model_uri, tracking_uri, Path(workdir) / "source")
        target = name or source.registered_name
        if target is None:
            raise ConfigError(
                f"{model_uri} is not a registered model: pass --name NAME (name= in Python)"
            )
        model = read_model(source.folder, source.uri)
        rows = sample_rows(model, source.uri, sample)
        run = _run(source, model, tracking_uri)
        folder = Path(workdir) / "package"
        params = run.params if run is not None else None
        manifest = package_model(model.model, target, folder, sample=rows, params=params)
        _provenance(folder, manifest, source, model, run)
        return store.register(folder)
