"""What the in-process runners share: opening the package's own model file.

The package layer owns the formats (verification, requirement checks, ONNX Runtime, joblib,
TorchScript); a local runner only chooses the format's runtime options and holds the opened
model. Endpoint resources (threads, providers) win over the arguments in the manifest, since
the endpoint knows the machine and the manifest does not.

A one-row batch is run as two copies of the row. Math libraries take another code path for a
single row (matrix-vector instead of matrix-matrix: ONNX Runtime's MLAS, numpy's BLAS) whose
float rounding differs in the last bits; running every batch through the matrix path makes a
row's answer independent of the batch it rides in, so the server's micro-batching never
changes a prediction. The copy costs well under a microsecond for tabular rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from modelyard.core.errors import ConfigError, ModelyardError
from modelyard.package.loader import LoadedModel, load_package
from modelyard.pipeline.types import Arrays, Context


class PackageRunner:
    """Runs the package's model file through its format's opener."""

    def __init__(self, context: Context, fmt: str, options: Mapping[str, Any]) -> None:
        if context.package_dir is None:
            raise ConfigError("a local runner needs the package folder")
        if context.format != fmt:
            raise ConfigError(f"the package is stored as {context.format!r}, not {fmt!r}")
        self._context = context
        self._options = {key: value for key, value in options.items() if value is not None}
        self._model: LoadedModel | None = None

    def load(self) -> None:
        """Verify the package (sha256, requirements) and open its model."""
        assert self._context.package_dir is not None
        self._model = load_package(
            self._context.package_dir, expected_digest=self._context.digest, **self._options
        )

    def run(self, feeds: Mapping[str, np.ndarray]) -> Arrays:
        """The model's outputs for every row of ``feeds``."""
        if self._model is None:
            raise ModelyardError(f"the runner of {self._context.name} is not loaded")
        if len(next(iter(feeds.values()))) != 1:
            return self._model.run(feeds)
        doubled = {name: np.concatenate([array, array]) for name, array in feeds.items()}
        return {name: array[:1] for name, array in self._model.run(doubled).items()}

    def close(self) -> None:
        """Drop the opened model (its memory goes with it)."""
        self._model = None
