"""The library's face: log a model as a new version, and load any version back.

The CLI and the server are clients of these functions; no logic lives only in a command or a
route.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelyard.evaluation.admission import admit
from modelyard.package.builder import build_package
from modelyard.package.loader import LoadedModel, load_package
from modelyard.package.log_spec import log_arguments, model_from_file, read_log_spec
from modelyard.registry import Registry

if TYPE_CHECKING:
    from modelyard.package.manifest import Manifest, PipelineSpec
    from modelyard.registry import ModelVersion


def package_model(model: Any, name: str, out_dir: str | Path, **options: Any) -> Manifest:
    """Build a package into ``out_dir`` exactly as :func:`log_model` does, without registering.

    ``options`` are :func:`~modelyard.package.builder.build_package`'s. The package is
    admitted like every logged version: its own pipeline is built and run on the sample, and
    the test metrics are computed through it (see :mod:`modelyard.evaluation.admission`).
    """
    return build_package(model, name, out_dir, admit=admit, **options)


def log_model(
    model: Any,
    name: str,
    *,
    sample: Any,
    train_data: Any = None,
    test_data: Any = None,
    target: str | None = None,
    pipeline: PipelineSpec | dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    format: str | None = None,
    registry: Registry | None = None,
) -> ModelVersion:
    """Package ``model`` in its production format and register it as the next version of ``name``.

    scikit-learn models are converted to ONNX and the conversion is proved on ``sample``
    (``format="sklearn"`` keeps a pickle instead). Signature, requirements, lineage, the data
    profile of ``train_data`` and the metrics on ``test_data`` are recorded in the manifest.
    A TorchScript module's task is declared by ``pipeline``'s formatter, e.g.
    ``pipeline={"formatter": {"name": "classification"}}``; see :mod:`modelyard.package.task`.
    A version whose own pipeline cannot be built or cannot answer the sample is refused
    before anything is written to the registry; the test metrics are those the version's
    pipeline (threshold and label map included) scores, as ``modelyard evaluate`` would.
    """
    store = registry or Registry()
    with tempfile.TemporaryDirectory(prefix="modelyard-package-") as workdir:
        package_model(
            model,
            name,
            Path(workdir),
            sample=sample,
            train_data=train_data,
            test_data=test_data,
            target=target,
            pipeline=pipeline,
            params=params,
            tags=tags,
            format=format,
        )
        return store.register(Path(workdir))


def log_file(
    model_file: str | Path, manifest: str | Path, *, registry: Registry | None = None
) -> ModelVersion:
    """Register an ONNX or pickle file made elsewhere, described by a manifest YAML.

    The file goes through the same packaging as :func:`log_model`: signature, requirements,
    lineage, profile and metrics, and for a pickle the parity of its ONNX-free round trip.
    """
    spec_path = Path(manifest)
    spec = read_log_spec(spec_path)
    model, fmt = model_from_file(Path(model_file), spec)
    return log_model(
        model, spec.name, format=fmt, registry=registry, **log_arguments(spec_path, spec)
    )


def load(
    ref: str, *, registry: Registry | None = None, allow_mismatch: bool = False
) -> LoadedModel:
    """Load ``name``, ``name:V`` or ``name@alias`` as an object with ``.predict`` and ``.manifest``.

    Every file is checked against its recorded sha256 before anything is opened.
    """
    store = registry or Registry(create=False)
    version = store.get(ref)
    return load_package(
        store.fetch(version), allow_mismatch=allow_mismatch, expected_digest=version.digest
    )
