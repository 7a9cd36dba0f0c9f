"""Calls a modelyard server with the KServe Python SDK's v2 REST client; prints what it got.

Run by ``test_v2_clients.py`` with the Python of the SDK's own virtual environment
(``.ci/setup-kserve.sh``), because the SDK pins a dependency tree of its own. Usage:
``python kserve_client.py BASE_URL``; prints one JSON document.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx
import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput


def _flower(binary: bool) -> list[InferInput]:
    tensors = []
    for name, datatype, value in [
        ("length", "FP32", np.array([[5.1]], dtype=np.float32)),
        ("width", "FP32", np.array([[3.5]], dtype=np.float32)),
        ("colour", "BYTES", np.array([["green"]], dtype=object)),
    ]:
        tensor = InferInput(name, [1, 1], datatype)
        tensor.set_data_from_numpy(value, binary_data=binary)
        tensors.append(tensor)
    return tensors


def _outputs(response: Any) -> dict[str, list[Any]]:
    return {output.name: output.as_numpy().tolist() for output in response.outputs}


async def _error(client: InferenceRESTClient, url: str, request: InferRequest, model: str) -> str:
    try:
        await client.infer(url, request, model_name=model)
    except httpx.HTTPStatusError as error:
        return f"{error.response.status_code} {error.response.json()['error']}"
    return "no error"


async def main(url: str) -> dict[str, Any]:
    client = InferenceRESTClient(RESTConfig(protocol="v2"))
    found: dict[str, Any] = {}
    for binary in (False, True):
        request = InferRequest("flowers", _flower(binary), request_id="kserve-1")
        response = await client.infer(url, request, model_name="flowers")
        found["binary" if binary else "json"] = _outputs(response)
    unknown = InferRequest("flowers", _flower(False), request_outputs=[RequestedOutput("nope")])
    found["unknown_output"] = await _error(client, url, unknown, "flowers")
    rows = np.ones((1, 30), dtype=np.float32)
    rows[0, 23] = np.nan
    gap = InferInput("input", [1, 30], "FP32")
    gap.set_data_from_numpy(rows, binary_data=True)
    found["nan"] = await _error(client, url, InferRequest("gappy", [gap]), "gappy")
    await client.close()
    return found


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
