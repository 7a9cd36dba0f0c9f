"""Micro-batching through the real server: concurrent requests share runner calls, and each
gets exactly the answer the unbatched in-process call gives."""

from __future__ import annotations

import asyncio
import re

import httpx
import numpy as np
from servertools import RunningServer
from sklearn.datasets import load_breast_cancer

from modelyard.pipeline import Endpoint


def test_concurrent_requests_are_batched_and_answered_as_if_alone(
    server: RunningServer, in_process: dict[str, Endpoint]
) -> None:
    data = load_breast_cancer(as_frame=True).data
    payloads = [
        {
            "instances": [dict(zip(data.columns, map(float, data.iloc[i]), strict=True))]
            * (1 + i % 3)
        }
        for i in range(0, 480, 5)
    ]

    async def send_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
            return await asyncio.gather(
                *(client.post("/endpoints/breast-cancer/predict", json=p) for p in payloads)
            )

    responses = asyncio.run(send_all())
    endpoint = in_process["breast-cancer"]
    for payload, response in zip(payloads, responses, strict=True):
        assert response.status_code == 200
        assert response.json()["predictions"] == endpoint.predict(payload)["predictions"]
    rides = [
        int(re.search(r"requests=(\d+)", r.headers["server-timing"]).group(1))  # type: ignore[union-attr]
        for r in responses
    ]
    assert max(rides) > 1
    assert np.mean(rides) > 1
