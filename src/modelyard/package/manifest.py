"""The manifest: everything a model version says about itself, as one pydantic document.

A package is a folder: the model file(s) in their production format plus ``manifest.json``.
The manifest lists the sha256 of every other file; the package's *digest* is the sha256 of the
canonical manifest bytes, so any change to any file or to the manifest changes the digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_FILE = "manifest.json"
SCHEMA_VERSION = 1

Format = Literal["onnx", "sklearn", "torchscript"]
Task = Literal["classification", "regression", "other"]
DType = Literal["float32", "float64", "int32", "int64", "bool", "string", "uint8"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TensorSpec(_Strict):
    """One input or output of the model as the runner sees it (``None`` = any size)."""

    name: str
    dtype: DType
    shape: list[int | None]


class ColumnSpec(_Strict):
    """One user-facing tabular feature: its name and the dtype requests must coerce to.

    ``missing`` is true when the training data had missing values in this (float) column: a
    request may then send ``null`` for it, which reaches the model as NaN. Packages written before
    the field existed read as ``false``: no missing value accepted.
    """

    name: str
    dtype: DType
    categorical: bool = False
    missing: bool = False


class Signature(_Strict):
    """What goes in and out.

    ``inputs``/``outputs`` are the runner's tensors. ``columns``, when set, are the tabular
    features in order: with one input tensor they are stacked into it in this order (shape
    ``[None, len(columns)]``); with several inputs each column feeds the input of its own name
    (shape ``[None, 1]``), as skl2onnx does for a ``ColumnTransformer``.
    """

    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    columns: list[ColumnSpec] = Field(default_factory=list)
    task: Task = "other"
    classes: list[str | int] | None = None
    label_output: str | None = None
    probability_output: str | None = None
    value_output: str | None = None


class ComponentSpec(_Strict):
    """A named pipeline step and its arguments, resolved through the component registry."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class PipelineSpec(_Strict):
    """encoder → runner → postprocess → formatter, versioned with the weights."""

    encoder: ComponentSpec = Field(default_factory=lambda: ComponentSpec(name="tabular"))
    runner: ComponentSpec | None = None
    postprocess: list[ComponentSpec] = Field(default_factory=list)
    formatter: ComponentSpec = Field(default_factory=lambda: ComponentSpec(name="raw"))


class Requirement(_Strict):
    """An installed distribution the format needs, as captured at packaging time."""

    name: str
    version: str


class Parity(_Strict):
    """How closely the production format matched the original on the sample."""

    rows: int
    labels_equal: bool | None = None
    max_abs_diff: float
    tolerance: float
    compared: list[str]


class DatasetFingerprint(_Strict):
    """A dataset as lineage knows it: a content hash over all rows, and where it came from."""

    role: Literal["train", "test", "sample", "other"]
    sha256: str
    rows: int
    columns: list[str] = Field(default_factory=list)
    source: str | None = None
    dvc_md5: str | None = None


class GitInfo(_Strict):
    """The commit of the repository the model was logged from.

    ``dirty`` is ``None`` when nobody could tell: an imported model's commit comes from the
    source system's record (MLflow's ``mlflow.source.git.commit`` tag), which does not say
    whether the working tree had uncommitted changes.
    """

    commit: str
    branch: str | None = None
    dirty: bool | None
    changed_files: list[str] = Field(default_factory=list)
    remote: str | None = None


class SplitInfo(_Strict):
    """Which rows went to train and to test, as order-independent fingerprints."""

    train_rows_sha256: str
    test_rows_sha256: str
    overlap_rows: int


class ImportedDataset(_Strict):
    """A dataset the source run declared as an input, named as the source system names it.

    ``digest`` is the source system's own (MLflow's is a short hash of a few rows), not a
    :class:`DatasetFingerprint` sha256, so the two are never compared.
    """

    name: str
    digest: str
    context: str | None = None
    source_type: str | None = None
    source: str | None = None
    rows: int | None = None


class ImportedFrom(_Strict):
    """Where an imported model came from, and what the run that made it recorded.

    The run's parameters are the lineage's ``params`` and its git commit the lineage's ``git``;
    its metrics stay here because they are the source's claims, not modelyard's test metrics.
    """

    system: Literal["mlflow"]
    uri: str
    flavor: str
    run_id: str | None = None
    model_id: str | None = None
    system_version: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    datasets: list[ImportedDataset] = Field(default_factory=list)


class Lineage(_Strict):
    """Which code and data made the model, and where (``imported``: from which system)."""

    git: GitInfo | None = None
    datasets: list[DatasetFingerprint] = Field(default_factory=list)
    split: SplitInfo | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    python: str
    platform: str
    created_at: datetime
    created_by: str
    imported: ImportedFrom | None = None


class NumericProfile(_Strict):
    """Statistics of a numeric feature in the training data."""

    min: float
    max: float
    mean: float
    std: float
    quantiles: dict[str, float]
    histogram_edges: list[float]
    histogram_counts: list[int]


class CategoryProfile(_Strict):
    """Statistics of a categorical feature: most frequent values and their share."""

    top: dict[str, float]
    unique: int


class FeatureProfile(_Strict):
    """One feature of the data profile."""

    name: str
    dtype: str
    count: int
    missing_rate: float
    numeric: NumericProfile | None = None
    categorical: CategoryProfile | None = None


class DataProfile(_Strict):
    """Per-feature statistics of the training data, for input validation and drift.

    ``source`` is ``sample`` when no training data was given and only the few sample rows
    could be profiled: enough to describe the inputs, too few to judge requests against.
    """

    rows: int
    features: list[FeatureProfile]
    source: Literal["train", "sample"] = "train"


class ReferenceSample(_Strict):
    """The training rows the package keeps for drift: which file, how many, drawn how.

    ``rows`` of the ``source_rows`` training feature rows, drawn without replacement with
    ``seed`` (all of them, in order, when there are at most 10,000), so the same training
    data always gives the same file and the same package digest.
    """

    file: str
    rows: int
    source_rows: int
    seed: int


class Metrics(_Strict):
    """Test-set metrics, tied to the fingerprint of the data they were computed on."""

    dataset_sha256: str
    values: dict[str, float]


class Manifest(_Strict):
    """The whole description of one model package."""

    schema_version: int = SCHEMA_VERSION
    name: str
    format: Format
    flavor: str
    files: dict[str, str]
    model_file: str
    signature: Signature
    pipeline: PipelineSpec = Field(default_factory=PipelineSpec)
    requirements: list[Requirement] = Field(default_factory=list)
    parity: Parity | None = None
    lineage: Lineage
    profile: DataProfile | None = None
    reference: ReferenceSample | None = None
    metrics: Metrics | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)
