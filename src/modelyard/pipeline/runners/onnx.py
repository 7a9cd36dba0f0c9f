"""The ``onnx`` runner: the package's ``model.onnx`` in ONNX Runtime (the production default).

Intra-op threads default to 1. The server already runs batches concurrently in a thread pool,
and with several threads ONNX Runtime splits large batches of tree ensembles differently from
small ones, so a row's probabilities would depend (in the last bits) on how many rows shared
its batch. Set ``threads`` to trade that guarantee for the latency of one large batch.
"""

from __future__ import annotations

from pydantic import Field

from modelyard.pipeline.components import ComponentArgs
from modelyard.pipeline.runners.local import PackageRunner
from modelyard.pipeline.types import Context


class OnnxArgs(ComponentArgs):
    """Session settings; the endpoint's ``runner.threads``/``providers`` take precedence."""

    threads: int | None = Field(None, ge=1, description="intra-op threads (default: 1)")
    inter_op_threads: int | None = Field(None, ge=1)
    providers: list[str] | None = Field(None, description="e.g. ['CPUExecutionProvider']")


def onnx_runner(args: OnnxArgs, context: Context) -> PackageRunner:
    """An ONNX Runtime session with the endpoint's (else the manifest's) resources."""
    resources = context.resources
    providers = resources.providers or args.providers
    options = {
        "intra_op_num_threads": resources.threads or args.threads or 1,
        "inter_op_num_threads": args.inter_op_threads,
        "providers": list(providers) if providers else None,
    }
    return PackageRunner(context, "onnx", options)
