"""The ``http`` runner against a real HTTP server, started by the test, serving the ONNX model."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import numpy as np
import pytest

from modelyard.package.loader import load_package
from modelyard.pipeline import Pipeline
from modelyard.pipeline.runners.remote import RemoteError
from modelyard.pipeline.spec import PipelineOverride


@pytest.fixture(scope="module")
def model_server(bc_package) -> Iterator[str]:
    """Vertex-style and SageMaker-style routes over the real model, on a free port."""
    model = load_package(bc_package)
    columns = [c.name for c in model.manifest.signature.columns]

    def probabilities(rows: list[list[float]]) -> list[list[float]]:
        return model.run({"input": np.asarray(rows, dtype=np.float32)})["probabilities"].tolist()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(200, {"status": "ok"})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if self.path == "/v1/models/bc:predict":
                self._answer(200, {"predictions": probabilities(body["instances"])})
            elif self.path == "/invocations" and self.headers.get("x-api-key") == "k":
                rows = [[record[c] for c in columns] for record in body["inputs"]]
                self._answer(200, {"outputs": [{"name": "p", "data": probabilities(rows)}]})
            else:
                self._answer(500, {"error": "no such route"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    deadline = time.monotonic() + 10
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
    yield url
    server.shutdown()
    server.server_close()


def _remote(bc_package, url: str, **args) -> Pipeline:
    override = {
        "runner": {"name": "http", "args": {"url": url, "output": "probabilities", **args}},
        "postprocess": [{"name": "argmax"}],
    }
    return Pipeline.from_package(bc_package, PipelineOverride.model_validate(override))


def test_vertex_style_endpoint_answers_like_the_local_model(
    model_server, bc_package, breast_cancer
):
    remote = _remote(bc_package, model_server, path="/v1/models/bc:predict")
    local = Pipeline.from_package(bc_package)
    payloads = [breast_cancer.X_test.iloc[i : i + 3].to_dict(orient="records") for i in (0, 3, 9)]
    assert remote.predict_batch(payloads) == local.predict_batch(payloads)


def test_sagemaker_style_records_headers_and_nested_response_path(
    model_server, bc_package, breast_cancer
):
    remote = _remote(
        bc_package,
        model_server,
        path="/invocations",
        headers={"x-api-key": "k"},
        request_template={"inputs": "{records}"},
        response_path="outputs.0.data",
    )
    rows = breast_cancer.X_test.head(4).to_numpy().tolist()
    expected = Pipeline.from_package(bc_package).predict(rows)["predictions"]
    assert [p["label"] for p in remote.predict(rows)["predictions"]] == [
        p["label"] for p in expected
    ]


def test_an_error_status_names_the_url_and_status(model_server, bc_package, breast_cancer):
    remote = _remote(bc_package, model_server, path="/nowhere")
    with pytest.raises(RemoteError, match=rf"{model_server}/nowhere answered 500: .*no such route"):
        remote.predict(breast_cancer.X_test.head(2).to_numpy().tolist())


def test_a_response_without_the_path_names_the_missing_key(model_server, bc_package, breast_cancer):
    remote = _remote(
        bc_package, model_server, path="/v1/models/bc:predict", response_path="outputs.0"
    )
    with pytest.raises(
        RemoteError, match=r"answered without 'outputs' \(response_path 'outputs.0'\)"
    ):
        remote.predict(breast_cancer.X_test.head(2).to_numpy().tolist())


def test_an_unreachable_server_is_a_remote_error(bc_package, breast_cancer):
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    remote = _remote(bc_package, f"http://127.0.0.1:{port}")
    with pytest.raises(RemoteError, match="is unreachable"):
        remote.predict(breast_cancer.X_test.head(2).to_numpy().tolist())
