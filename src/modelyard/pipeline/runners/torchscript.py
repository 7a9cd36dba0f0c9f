"""The ``torchscript`` runner: a TorchScript module on the CPU, when torch is installed.

torch's CPU matrix products (MKL) pick their kernel by the number of rows, and rows computed
in a short batch or in the tail of a batch round differently in the last bits from rows in
whole blocks of 16. So every batch is padded with copies of its last row up to a multiple of
:data:`BLOCK_ROWS` and the padding is dropped from the outputs: a row's answer then no longer
depends on the batch it rides in, measured bit for bit on MLPs of several shapes with 1 to 4
threads (torch 2.13, MKL 2024.2). For a tabular MLP a 16-row call costs what a 2-row call costs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

import numpy as np

from modelyard.core.extras import MissingExtraError, install_hint
from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.runners.local import PackageRunner
from modelyard.pipeline.types import Arrays, Context

BLOCK_ROWS = 16


class TorchScriptArgs(ComponentArgs):
    """The TorchScript format takes no runtime options."""


class TorchScriptRunner(PackageRunner):
    """The package's module, run in whole blocks of rows so batching never changes an answer."""

    def run(self, feeds: Mapping[str, np.ndarray]) -> Arrays:
        """The module's outputs for every row of ``feeds``."""
        rows = len(next(iter(feeds.values())))
        missing = -rows % BLOCK_ROWS
        if missing == 0:
            return super().run(feeds)
        padded = {
            name: np.concatenate([array, np.repeat(array[-1:], missing, axis=0)])
            for name, array in feeds.items()
        }
        return {name: array[:rows] for name, array in super().run(padded).items()}


def torchscript_runner(args: TorchScriptArgs, context: Context) -> TorchScriptRunner:
    """The module, or a clear error when torch is missing (it is an optional dependency)."""
    if importlib.util.find_spec("torch") is None:
        raise MissingExtraError(f"the torchscript runner needs {install_hint('torch')}")
    return TorchScriptRunner(context, "torchscript", {})
