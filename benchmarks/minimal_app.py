"""The leanest batched model server we could write by hand: a reference, not a product.

    MODELYARD_BENCH_ONNX=model.onnx MODELYARD_BENCH_COLUMNS='["a", ...]' \
        uvicorn --factory --app-dir benchmarks minimal_app:build

``serve_bench.py`` measures it beside the floor and modelyard to show where the ceiling is for
a Python server that does the model's work at all on this machine: one JSON record read with
orjson into a float32 row, rows of concurrent requests batched into one ONNX Runtime call
(grouped per event-loop tick, as modelyard does), a binary classification answer in
modelyard's shape with its model and request-id headers. It has none of what modelyard adds:
no validation messages (a bad record is a 500), no timeouts, no metrics, no Server-Timing,
no hot reload, no V2, no per-request isolation of failures.
"""

from __future__ import annotations

import asyncio
import json
import operator
import os
from array import array
from typing import Any

import numpy as np
import onnxruntime as ort
import orjson

Pending = tuple[array, "asyncio.Future[dict[str, Any]]"]


def build() -> Any:
    """The ASGI app for the model and columns named in the environment."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(os.environ["MODELYARD_BENCH_ONNX"], options)
    feed = session.get_inputs()[0].name
    row_of = operator.itemgetter(*json.loads(os.environ["MODELYARD_BENCH_COLUMNS"]))
    headers = [(b"content-type", b"application/json"), (b"x-model-name", b"breast_cancer"),
               (b"x-model-version", b"1")]  # fmt: skip
    queue: list[Pending] = []
    counter = iter(range(1, 1 << 62))

    def run_batch() -> None:
        jobs = queue[:]
        queue.clear()
        rows = np.frombuffer(b"".join(values for values, _ in jobs), dtype=np.float32)
        labels, probabilities = session.run(None, {feed: rows.reshape(len(jobs), -1)})
        answers = zip(labels.tolist(), probabilities.tolist(), jobs, strict=True)
        for label, (p0, p1), (_, future) in answers:
            prediction = {"label": label, "score": max(p0, p1), "probabilities": {"0": p0, "1": p1}}
            future.set_result(prediction)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "GET":  # the readiness probe
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        message = await receive()
        record = orjson.loads(message["body"])["instances"][0]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        if not queue:
            loop.call_soon(run_batch)
        queue.append((array("f", row_of(record)), future))
        prediction = await future
        request_id = str(next(counter)).encode()
        body = orjson.dumps({"predictions": [prediction],
                             "model": {"name": "breast_cancer", "version": 1},
                             "request_id": request_id.decode()})  # fmt: skip
        answer = [*headers, (b"x-request-id", request_id), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": answer})
        await send({"type": "http.response.body", "body": body})

    return app
