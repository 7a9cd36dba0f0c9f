"""Calls an A/B endpoint of a modelyard server with the KServe Python SDK's v2 REST client;
prints what it got.

Run by ``test_rollout_clients.py`` with the Python of the SDK's own virtual environment
(``.ci/setup-kserve.sh``). The SDK's ``InferResponse`` drops ``model_version``, so which
version answered is read from the response headers the SDK hands back. Usage:
``python kserve_rollout_client.py BASE_URL ENDPOINT ROW_JSON CALLS``; prints one JSON
document.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx
import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig


def _request(row: list[float], binary: bool) -> InferRequest:
    tensor = InferInput("input", [1, len(row)], "FP32")
    tensor.set_data_from_numpy(np.array([row], dtype=np.float32), binary_data=binary)
    return InferRequest("rollout", [tensor])


async def _answered(
    client: InferenceRESTClient, url: str, model: str, row: list[float], binary: bool
) -> list[str]:
    """[x-variant, x-model-version, names of the outputs] of one inference."""
    headers: dict[str, str] = {}
    response = await client.infer(url, _request(row, binary), model, response_headers=headers)
    outputs = sorted(output.name for output in response.outputs)
    return [headers["x-variant"], headers["x-model-version"], ",".join(outputs)]


async def main(url: str, endpoint: str, row: list[float], calls: int) -> dict[str, Any]:
    client = InferenceRESTClient(RESTConfig(protocol="v2"))
    found: dict[str, Any] = {}
    for binary in (False, True):
        kind = "binary" if binary else "json"
        found[kind] = [await _answered(client, url, endpoint, row, binary) for _ in range(calls)]
        pinned = f"{endpoint}/versions/2"  # the SDK has no version argument: the path names it
        found[f"{kind}_pinned"] = [
            await _answered(client, url, pinned, row, binary) for _ in range(calls // 4)
        ]
    try:
        await client.infer(url, _request(row, False), f"{endpoint}/versions/7")
        found["unknown_version"] = "no error"
    except httpx.HTTPStatusError as error:
        found["unknown_version"] = f"{error.response.status_code} {error.response.json()['error']}"
    await client.close()
    return found


if __name__ == "__main__":
    document = asyncio.run(
        main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]))
    )
    print(json.dumps(document))
