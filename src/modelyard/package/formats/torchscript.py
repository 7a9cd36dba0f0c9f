"""The ``torchscript`` format: a ``torch.jit`` module saved as ``model.pt``.

torch is an optional dependency (``modelyard[torch]``); it is imported only when a
TorchScript model is packaged or loaded, so the rest of modelyard never pays for it.
Inputs are fed in signature order as positional tensors; outputs (a tensor or a tuple of
tensors) are named ``output_0``, ``output_1``, … A module only returns tensors, so its task is
``other`` until the user declares one through the pipeline's formatter (see :mod:`...task`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from modelyard.core.errors import UnsupportedModelError
from modelyard.core.extras import missing_extra
from modelyard.package.formats.base import NoOptions, Prepared, parse_options
from modelyard.package.manifest import Format, Signature, TensorSpec
from modelyard.package.signature import build_signature, columns_of, dtype_of


def _torch() -> ModuleType:
    try:
        return importlib.import_module("torch")
    except ImportError as missing:
        raise missing_extra(missing, "the torchscript format") from None


def _as_tuple(result: Any) -> tuple[Any, ...]:
    return tuple(result) if isinstance(result, tuple | list) else (result,)


class TorchScriptSession:
    """A TorchScript module on CPU, answering runner feeds."""

    def __init__(self, module: Any, signature: Signature) -> None:
        self._module = module
        self._inputs = [spec.name for spec in signature.inputs]
        self._outputs = [spec.name for spec in signature.outputs]

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Call the module without autograd and return numpy outputs by name."""
        torch = _torch()
        with torch.inference_mode():
            # Encoders may hand over read-only views; torch wants writable memory, so those
            # (and only those) are copied.
            tensors = [
                torch.from_numpy(np.require(feeds[n], requirements=["C", "W"]))
                for n in self._inputs
            ]
            results = _as_tuple(self._module(*tensors))
        return {
            name: result.detach().cpu().numpy()
            for name, result in zip(self._outputs, results, strict=True)
        }


class TorchScriptFormat:
    """``model.pt`` + torch."""

    name: Format = "torchscript"
    model_file = "model.pt"
    requirements: tuple[str, ...] = ("torch",)
    pins_requirements = False

    def accepts(self, model: Any) -> bool:
        """``torch.jit`` script or traced modules (checked without importing torch)."""
        return type(model).__module__.startswith("torch.jit")

    def prepare(self, model: Any, sample: Any) -> Prepared:
        """Run the module on the sample to learn its output tensors.

        A DataFrame sample is fed as float32 (torch's default); an array keeps its dtype. A
        module in training mode is refused: dropout and batch norm would make the packaged
        module (always served in eval mode) answer differently from the one given.
        """
        torch = _torch()
        if not isinstance(model, torch.jit.ScriptModule):
            raise UnsupportedModelError(
                f"cannot store a {type(model).__name__} as torchscript: expected a "
                "torch.jit.ScriptModule (torch.jit.script or torch.jit.trace)"
            )
        if model.training:
            raise UnsupportedModelError(
                "the TorchScript module is in training mode: call .eval() on it before "
                "logging (dropout and batch norm answer differently in training)"
            )
        array = np.asarray(sample, dtype=np.float32 if columns_of(sample) else None)
        inputs = [
            TensorSpec(name="input", dtype=dtype_of(array.dtype), shape=[None, *array.shape[1:]])
        ]
        try:
            with torch.inference_mode():
                results = _as_tuple(model(torch.from_numpy(np.array(array))))
        except RuntimeError as error:
            raise UnsupportedModelError(
                f"the TorchScript module failed on the sample, fed as one {array.dtype} tensor "
                f"of shape {list(array.shape)}: {str(error).strip().splitlines()[-1]}"
            ) from None
        outputs = [
            TensorSpec(
                name=f"output_{index}",
                dtype=dtype_of(result.detach().cpu().numpy().dtype),
                shape=[None, *result.shape[1:]],
            )
            for index, result in enumerate(results)
        ]
        signature = build_signature(inputs, outputs, columns_of(sample), "other")
        reference = TorchScriptSession(model, signature)
        return Prepared(model, signature, "torch", {"torch": torch.__version__}, reference)

    def save(self, artifact: Any, path: Path) -> None:
        """``torch.jit.save``: code and weights in one archive."""
        _torch().jit.save(artifact, str(path))

    def open(self, path: Path, signature: Signature, **options: Any) -> TorchScriptSession:
        """``torch.jit.load`` onto the CPU; this format takes no runtime options."""
        parse_options(self.name, NoOptions, options)
        module = _torch().jit.load(str(path), map_location="cpu")
        module.eval()
        return TorchScriptSession(module, signature)
