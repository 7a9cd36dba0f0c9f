"""The ``v2`` runner: a remote Open Inference Protocol server (Triton, KServe, MLServer).

Feeds become ``inputs`` (renamed through ``inputs`` when the remote calls them otherwise),
the ``outputs`` asked for are renamed back to the signature's names, so the same
postprocessors and formatters serve a local and a remote copy of a model. Servers that add a
trailing dimension of 1 (MLServer answers ``predict`` as ``[n, 1]``) are reshaped to the rank
the signature declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field

from modelyard.pipeline.dtypes import OIP_NUMPY, oip_datatype
from modelyard.pipeline.runners.remote import RemoteArgs, RemoteClient, RemoteError
from modelyard.pipeline.types import Arrays, Context


class V2Args(RemoteArgs):
    """Which remote model to call and how its tensors are named."""

    model_name: str
    model_version: str | None = None
    inputs: dict[str, str] = Field(
        default_factory=dict, description="signature input name → remote input name"
    )
    outputs: dict[str, str] = Field(
        default_factory=dict,
        description="remote output name → signature output name (all outputs when empty)",
    )


def _flat(array: np.ndarray) -> object:
    """Row-major data as orjson can write it (numpy directly, strings as a list)."""
    flat = np.ascontiguousarray(array).reshape(-1)
    return flat.tolist() if flat.dtype.kind == "O" else flat


class V2Runner:
    """One ``POST /v2/models/{name}[/versions/{v}]/infer`` per batch."""

    def __init__(self, args: V2Args, context: Context) -> None:
        self._args = args
        self._client = RemoteClient(args)
        version = f"/versions/{args.model_version}" if args.model_version else ""
        self._model_path = f"/v2/models/{args.model_name}{version}"
        self._requested = [{"name": name} for name in args.outputs]
        self._ranks = {spec.name: len(spec.shape) for spec in context.signature.outputs}

    def load(self) -> None:
        """Open the connection pool and check the remote model is ready."""
        self._client.open()
        response = self._client.get(f"{self._model_path}/ready")
        if response.status_code != 200:
            self._client.close()
            raise RemoteError(
                f"model {self._args.model_name!r} is not ready at {self._args.url} "
                f"(status {response.status_code})"
            )

    def run(self, feeds: Mapping[str, np.ndarray]) -> Arrays:
        """Send the batch, read every output back as an array of its declared shape."""
        inputs = [
            {
                "name": self._args.inputs.get(name, name),
                "shape": list(array.shape),
                "datatype": oip_datatype(array),
                "data": _flat(array),
            }
            for name, array in feeds.items()
        ]
        body: dict[str, object] = {"inputs": inputs}
        if self._requested:
            body["outputs"] = self._requested
        answer = self._client.post_json(f"{self._model_path}/infer", body)
        try:
            return dict(self._output(output) for output in answer["outputs"])
        except (KeyError, TypeError, ValueError) as error:
            raise RemoteError(
                f"{self._args.url} answered an Open Inference Protocol response this runner "
                f"cannot read ({type(error).__name__}: {error})"
            ) from None

    def _output(self, output: dict[str, Any]) -> tuple[str, np.ndarray]:
        """One response tensor, under its signature name and rank."""
        name = self._args.outputs.get(output["name"], output["name"])
        array = np.asarray(output["data"], dtype=OIP_NUMPY[output["datatype"]])
        array = array.reshape(output["shape"])
        rank = self._ranks.get(name)
        if rank is not None and array.ndim > rank and all(d == 1 for d in array.shape[rank:]):
            array = array.reshape(array.shape[:rank])
        return name, array

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
