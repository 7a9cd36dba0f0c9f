"""The ``sklearn`` runner: the pickled estimator itself, for models ONNX cannot express.

The package layer refuses a pickle written with other library versions than those installed;
``allow_mismatch`` lets an operator accept that risk explicitly, in the manifest or endpoint.
"""

from __future__ import annotations

from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.runners.local import PackageRunner
from modelyard.pipeline.types import Context


class SklearnArgs(ComponentArgs):
    """``allow_mismatch``: load even when scikit-learn/numpy versions differ from the capture."""

    allow_mismatch: bool = False


def sklearn_runner(args: SklearnArgs, context: Context) -> PackageRunner:
    """The estimator, unpickled only after the package's sha256 and requirements check."""
    return PackageRunner(context, "sklearn", {"allow_mismatch": args.allow_mismatch})
