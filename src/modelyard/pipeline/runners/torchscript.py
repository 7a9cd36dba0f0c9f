"""The ``torchscript`` runner: a TorchScript module on the CPU, when torch is installed."""

from __future__ import annotations

import importlib.util

from modelyard.core.errors import ConfigError
from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.runners.local import PackageRunner
from modelyard.pipeline.types import Context


class TorchScriptArgs(ComponentArgs):
    """The TorchScript format takes no runtime options."""


def torchscript_runner(args: TorchScriptArgs, context: Context) -> PackageRunner:
    """The module, or a clear error when torch is missing (it is an optional dependency)."""
    if importlib.util.find_spec("torch") is None:
        raise ConfigError("needs torch, which is not installed: pip install 'modelyard[torch]'")
    return PackageRunner(context, "torchscript", {})
