"""Build a model package: the production-format model file plus its manifest.

The steps, in order: convert/serialize the model in its format, reopen the written file and
prove it predicts like the original (parity), record signature, requirements, lineage and
data profile in ``manifest.json``, then hand the folder to the caller's *admission* (see
:data:`Admission`): the version's own pipeline is built and run on the sample, and the test
set is scored through it. If any step fails, the files this call wrote are removed, so
``out_dir`` never holds half a package.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from modelyard.core.errors import ConfigError
from modelyard.core.hashing import as_frame, data_fingerprint
from modelyard.core.refs import check_name
from modelyard.package.datasets import Labeled, labeled
from modelyard.package.estimators import fit_order, is_estimator
from modelyard.package.formats import ModelFormat, Prepared, default_format, get_format
from modelyard.package.io import write_manifest
from modelyard.package.lineage import capture_lineage, split_info
from modelyard.package.loader import LoadedModel
from modelyard.package.manifest import (
    ComponentSpec,
    DataProfile,
    DatasetFingerprint,
    Lineage,
    Manifest,
    Metrics,
    Parity,
    PipelineSpec,
    Signature,
)
from modelyard.package.parity import prove_output_parity, prove_parity
from modelyard.package.profile import mark_missing, profile_data
from modelyard.package.reference import write_reference
from modelyard.package.requirements import capture_requirements
from modelyard.package.signature import to_feeds, with_array_columns
from modelyard.package.task import check_probabilities, declared_task, with_task

PARITY_TEST_ROWS = 200
"""Test rows added to the sample for the parity proof: more rows, more chances to catch a
threshold that float32 rounding moves, at a cost of milliseconds."""

_FORMATTERS = {"classification": "classification", "regression": "regression"}

Admission = Callable[[Path, Any, Labeled | None], Metrics | None]
"""``admit(folder, sample, test)``: called on the written package before it counts as built.

It must build the version's own pipeline from ``folder``, run it on ``sample`` (raising a
one-line :class:`~modelyard.core.errors.ModelyardError` when either fails) and return the
metrics of ``test`` scored through that pipeline (``None`` without test data or for a task
without metrics). Pipelines and metrics live in layers above this one, which is why the
caller passes it in: :func:`modelyard.api.package_model` and ``log_model`` always do.
"""


def default_pipeline(signature: Signature, given: PipelineSpec | None = None) -> PipelineSpec:
    """The pipeline to store: the steps ``given`` names, the task's defaults for the rest.

    The defaults are the tabular encoder and the formatter that fits the task (``raw`` when
    there is none), so ``pipeline={"postprocess": [...]}`` keeps the classification formatter.
    A classifier that returns probabilities but no labels (a TorchScript module) gets an
    ``argmax`` step by default, since the classification formatter answers with a label.
    """
    defaults = PipelineSpec(
        postprocess=[ComponentSpec(name="argmax")] if _needs_argmax(signature) else [],
        formatter=ComponentSpec(name=_FORMATTERS.get(signature.task, "raw")),
    )
    if given is None:
        return defaults
    return defaults.model_copy(
        update={field: getattr(given, field) for field in given.model_fields_set}
    )


def _needs_argmax(signature: Signature) -> bool:
    return (
        signature.task == "classification"
        and signature.label_output is None
        and signature.probability_output is not None
    )


def _profile(train: Labeled | None, sample: Any) -> DataProfile:
    """The training data's profile; the sample's, marked as such, when there is none."""
    if train is not None:
        return profile_data(train.X)
    return profile_data(sample).model_copy(update={"source": "sample"})


def _as_rows(sample: Any) -> Any:
    """Arrays and lists as 2-D rows: a 1-D sample is one row, a list of records a table."""
    if isinstance(sample, pd.DataFrame | pd.Series) or not isinstance(
        sample, list | tuple | np.ndarray
    ):
        return sample
    if len(sample) and isinstance(sample[0], Mapping):
        return pd.DataFrame.from_records(list(sample))
    array = np.asarray(sample)
    return array.reshape(1, -1) if array.ndim == 1 else array


def _empty_folder(out_dir: str | Path) -> Path:
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise ConfigError(f"out_dir {folder} is not empty: expected an empty folder")
    return folder


def _scalar_params(model: Any) -> dict[str, Any]:
    """An estimator's JSON-safe hyperparameters, recorded when the caller gives none."""
    if not is_estimator(model):
        return {}
    return {
        name: value
        for name, value in model.get_params(deep=True).items()
        if isinstance(value, str | int | bool | None)
        or (isinstance(value, float) and math.isfinite(value))
    }


def _parity_rows(sample: Any, test: Labeled | None) -> Any:
    if test is None:
        return sample
    if isinstance(sample, pd.DataFrame):
        rows = test.X[sample.columns].head(PARITY_TEST_ROWS)
        return pd.concat([sample, rows], ignore_index=True)
    if isinstance(sample, np.ndarray) and sample.shape[1:] == test.X.shape[1:]:
        return np.concatenate([sample, test.X.to_numpy()[:PARITY_TEST_ROWS]])
    return sample


def _sample_fingerprint(sample: Any) -> DatasetFingerprint:
    frame = as_frame(sample)
    return DatasetFingerprint(
        role="sample",
        sha256=data_fingerprint(frame),
        rows=len(frame),
        columns=[str(column) for column in frame.columns],
    )


def _pipeline_spec(pipeline: PipelineSpec | dict[str, Any] | None) -> PipelineSpec | None:
    if not isinstance(pipeline, dict):
        return pipeline
    try:
        return PipelineSpec.model_validate(pipeline)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(f"pipeline.{where}: {first['msg']}") from None


def _checked_tags(tags: dict[str, str] | None) -> dict[str, str]:
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ConfigError(f"tag {key!r}: {value!r} is not text: expected str keys and values")
    return dict(tags or {})


def _reopened(
    fmt: ModelFormat,
    prepared: Prepared,
    signature: Signature,
    folder: Path,
    name: str,
    lineage: Lineage,
) -> LoadedModel:
    """The written model file opened as the loader opens it, to test what will serve."""
    draft = Manifest(
        name=name,
        format=fmt.name,
        flavor=prepared.flavor,
        files={},
        model_file=fmt.model_file,
        signature=signature,
        lineage=lineage,
    )
    return LoadedModel(draft, fmt.open(folder / fmt.model_file, signature))


def _parity(
    model: Any, prepared: Prepared, packaged: LoadedModel, rows: Any, tolerance: float
) -> Parity | None:
    """Estimators are compared through predict/predict_proba; in-memory references (a
    TorchScript module) output by output; a model that only exists as its file needs none."""
    if is_estimator(model):
        return prove_parity(model, packaged, rows, tolerance)
    if prepared.reference is not None:
        return prove_output_parity(prepared.reference, packaged, rows, tolerance)
    return None


def _clear(folder: Path) -> None:
    """Remove what a failed build wrote (the folder was empty before it started)."""
    for path in folder.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def build_package(
    model: Any,
    name: str,
    out_dir: str | Path,
    *,
    sample: Any,
    train_data: Any = None,
    test_data: Any = None,
    target: str | None = None,
    pipeline: PipelineSpec | dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    format: str | None = None,
    tolerance: float = 1e-5,
    admit: Admission | None = None,
) -> Manifest:
    """Write ``model`` and its ``manifest.json`` into ``out_dir`` and return the manifest.

    ``model``: a fitted scikit-learn estimator or Pipeline, an ONNX model (path or
    ``onnx.ModelProto``) or a TorchScript module. ``format`` defaults to ``onnx`` for the
    first two (scikit-learn is converted with skl2onnx) and ``torchscript`` for the last;
    ``"sklearn"`` keeps a joblib pickle. ``sample``: a few feature rows (a DataFrame, a 2-D
    array or list of rows, or one 1-D row) for signature inference and the parity proof; a
    model fed arrays gets columns ``x0, x1, …``. ``train_data``/``test_data``: a DataFrame
    holding ``target``, an ``(X, y)`` tuple or a CSV/Parquet path; they are fingerprinted, the
    training features are profiled, a seeded sample of at most 10,000 of their rows is kept
    as ``reference.parquet`` (see :mod:`.reference`), and ``admit`` (see :data:`Admission`)
    proves the package serves and scores the test set through its pipeline; without ``admit``
    the manifest holds no metrics.
    ``out_dir`` must be empty (it is created if missing).
    A TorchScript module's task is declared by ``pipeline``'s formatter (``classification``
    or ``regression``, see :mod:`.task`); a declared classifier's classes are the distinct
    labels of ``train_data``'s target.
    Raises :class:`ParityError` when the packaged model does not predict like the original.
    """
    check_name(name)
    fmt = get_format(format) if format is not None else default_format(model)
    spec, labels = _pipeline_spec(pipeline), _checked_tags(tags)
    folder = _empty_folder(out_dir)
    sample = _as_rows(sample)
    sample = fit_order(model, sample) if is_estimator(model) else sample
    train = labeled(train_data, target, "train") if train_data is not None else None
    test = labeled(test_data, target, "test") if test_data is not None else None
    lineage = capture_lineage(
        [part.fingerprint for part in (train, test) if part is not None]
        + [_sample_fingerprint(sample)],
        split_info(train, test) if train is not None and test is not None else None,
        params if params is not None else _scalar_params(model),
    )
    prepared = fmt.prepare(model, sample)
    task = declared_task(prepared.signature, spec)
    signature = with_task(prepared.signature, task, train) if task else prepared.signature
    signature = with_array_columns(signature, sample)
    profile = _profile(train, sample)
    signature = mark_missing(signature, profile)
    try:
        fmt.save(prepared.artifact, folder / fmt.model_file)
        reference = write_reference(folder, train.X) if train is not None else None
        packaged = _reopened(fmt, prepared, signature, folder, name, lineage)
        outputs = packaged.run(to_feeds(signature, sample))  # the sample must fit the signature
        if task == "classification":
            check_probabilities(signature, outputs)
        parity = _parity(model, prepared, packaged, _parity_rows(sample, test), tolerance)
        manifest = packaged.manifest.model_copy(
            update={
                "pipeline": default_pipeline(signature, spec),
                "requirements": capture_requirements(fmt.requirements),
                "parity": parity,
                "profile": profile,
                "reference": reference,
                "tags": labels,
                "extra": prepared.extra,
            }
        )
        written = write_manifest(folder, manifest)
        metrics = admit(folder, sample, test) if admit is not None else None
        if metrics is None:
            return written
        return write_manifest(folder, written.model_copy(update={"metrics": metrics}))
    except BaseException:
        _clear(folder)
        raise
