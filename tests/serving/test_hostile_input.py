"""Hostile input against a real server: odd numbers, image bombs, stalled bodies, slow batches.

One server process serves a fresh demo registry with a few extra endpoints: the breast-cancer
model under each validation mode, a model whose training data had holes it never learnt to
fill (its outputs go NaN on a missing value), and two endpoints whose remote runner is a real
local HTTP server that takes 3 s when asked to.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from servertools import RunningServer, start_server
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from hostile_images import blank_png, declared_png
from modelyard.api import log_model
from modelyard.demo import CANCER, Demo, prepare
from modelyard.pipeline.types import MAX_IMAGE_PIXELS
from modelyard.registry import Registry

SLOW_S = 3.0
REQUEST_TIMEOUT_S = 2.0
BODY_TIMEOUT_S = 1.0
KEEP_ALIVE_S = 1
HOLED = "mean radius"
LIMIT = f"image of at most {MAX_IMAGE_PIXELS} pixels (limits.max_image_pixels)"
EXPECTED = 'PNG or JPEG image (bytes, base64 string or {"b64": ...})'


class _SlowModel(BaseHTTPRequestHandler):
    """A remote model answering label 0 per row, 3 s late when the first value is negative."""

    slow_started = threading.Event()

    def do_POST(self) -> None:
        rows = json.loads(self.rfile.read(int(self.headers["content-length"])))["instances"]
        if rows[0][0] < 0:
            type(self).slow_started.set()
            time.sleep(SLOW_S)  # the model's own slowness, not a test waiting for something
        body = json.dumps({"predictions": [0] * len(rows)}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def slow_model() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def hostile_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """A demo registry of its own, plus ``bc_unabsorbed``: a logistic regression whose
    training table had holes in one column that the model itself never saw."""
    root = tmp_path_factory.mktemp("hostile-demo")
    demo = prepare(root)
    data = load_breast_cancer(as_frame=True)
    holed = data.data.copy()
    holed.iloc[::7, holed.columns.get_loc(HOLED)] = np.nan
    model = LogisticRegression(max_iter=5000).fit(data.data, data.target)
    registry = Registry(demo.registry_url, demo.artifacts, cache_dir=root / "cache")
    try:
        version = log_model(
            model, "bc_unabsorbed", sample=data.data.head(20),
            train_data=holed.assign(target=data.target), target="target", registry=registry,
        )  # fmt: skip
    finally:
        registry.close()
    assert version.version == 1
    return demo


@pytest.fixture(scope="module")
def server(
    hostile_demo: Demo, slow_model: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    document = yaml.safe_load(hostile_demo.endpoints_file.read_text())
    cancer = f"{CANCER}@production"
    runner = {"name": "http", "args": {"url": slow_model, "output": "label"}}
    document["endpoints"] += [
        {"id": "bc-off", "model": cancer, "validation": {"profile": "off"}},
        {"id": "bc-reject", "model": cancer, "validation": {"profile": "reject"}},
        {"id": "unabsorbed", "model": "bc_unabsorbed:1"},
        {"id": "slow", "model": cancer, "pipeline": {"runner": runner}},
        {
            "id": "slow-one-lane",
            "model": cancer,
            "pipeline": {"runner": runner},
            "batching": {"max_concurrent_batches": 1},
        },
    ]
    workdir = tmp_path_factory.mktemp("hostile-server")
    path = workdir / "endpoints.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    running = start_server(
        hostile_demo, path, workdir, timeout_s=REQUEST_TIMEOUT_S,
        body_timeout_s=BODY_TIMEOUT_S, keep_alive_s=KEEP_ALIVE_S,
    )  # fmt: skip
    yield running
    running.stop()


def _predict(server: RunningServer, endpoint: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{server.url}/endpoints/{endpoint}/predict", timeout=30, **kwargs)  # type: ignore[arg-type]


def _json_body(hostile_demo: Demo, value: str) -> bytes:
    """A one-record request whose ``mean texture`` is written as the raw JSON ``value``."""
    record = {**hostile_demo.cancer_record, "mean texture": "@"}
    return json.dumps({"instances": [record]}).replace('"@"', value).encode()


MODES = ["bc-off", "breast-cancer", "bc-reject"]  # validation off, warn (the default), reject


@pytest.mark.parametrize("endpoint", MODES)
def test_null_where_training_had_none_is_422_in_every_mode(server, hostile_demo, endpoint):
    response = _predict(server, endpoint, content=_json_body(hostile_demo, "null"))
    assert response.status_code == 422
    assert response.json()["error"] == (
        "payload does not fit the signature: /instances/0/mean texture: expected number "
        "(the training data had no missing values in this column), got null"
    )


@pytest.mark.parametrize("endpoint", MODES)
@pytest.mark.parametrize("huge", ["1e300", "-3.5e38"])
def test_a_number_past_float32_is_422_in_every_mode(server, hostile_demo, endpoint, huge):
    response = _predict(server, endpoint, content=_json_body(hostile_demo, huge))
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {
            "pointer": "/instances/0/mean texture",
            "expected": "number within float32's range (±3.4e+38)",
            "got": "number out of that range",
        }
    ]
    assert huge not in response.text


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_tokens_are_a_400_saying_so(server, hostile_demo, token):
    response = _predict(server, "breast-cancer", content=_json_body(hostile_demo, token))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("malformed JSON: ")
    assert error.endswith("; NaN and Infinity are not JSON: send a number or null")


def test_a_number_past_a_double_is_a_400(server, hostile_demo):
    response = _predict(server, "breast-cancer", content=_json_body(hostile_demo, "1e999"))
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "malformed JSON: number is infinity when parsed as double"
    )


def test_a_nan_output_is_never_a_null_in_a_200(server):
    record = {name: float(v) for name, v in load_breast_cancer(as_frame=True).data.iloc[0].items()}
    ok = _predict(server, "unabsorbed", json={"instances": [record]})
    assert ok.status_code == 200
    response = _predict(server, "unabsorbed", json={"instances": [{**record, HOLED: None}]})
    assert response.status_code == 422
    assert response.json()["error"] == (
        "the model's output 'probabilities' is not a finite number (NaN or infinity) for "
        "instance 0: the model cannot compute an answer for that input"
    )
    assert "null" not in response.text.replace('"got":', "")


def _multipart(png: bytes) -> dict[str, object]:
    return {"files": {"file": ("bomb.png", png, "image/png")}}


@pytest.mark.parametrize("side", [100_000, 20_000])
@pytest.mark.parametrize("form", ["raw", "base64", "multipart"])
def test_an_image_bomb_is_refused_naming_the_limit(server, side, form):
    png = declared_png(side, side)
    b64 = {"instances": [{"b64": base64.b64encode(png).decode()}]}
    where, request = {
        "raw": ("", {"content": png, "headers": {"content-type": "image/png"}}),
        "base64": ("/instances/0/b64", {"json": b64}),
        "multipart": ("/0", _multipart(png)),
    }[form]
    response = _predict(server, "digits-is-3", **request)
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"pointer": where, "expected": LIMIT, "got": "an image declaring more pixels than that"}
    ]


def _peak_rss_kb(server: RunningServer) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def test_a_small_png_declaring_13000_squared_is_refused_without_decoding(server):
    png = blank_png(13000, 13000)
    assert len(png) < 200_000  # 169 MB of pixels once decoded
    before = _peak_rss_kb(server)
    response = _predict(server, "digits-is-3", content=png, headers={"content-type": "image/png"})
    assert response.status_code == 422
    assert response.json()["problems"][0]["got"] == "an image declaring 13000x13000 pixels"
    assert _peak_rss_kb(server) - before < 20_000  # the peak grew by less than 20 MB


def test_corrupt_and_empty_images_are_422_not_500(server, hostile_demo):
    png = hostile_demo.digit_png.read_bytes()
    half = png[: len(png) // 2]
    cases = [
        (half, f"{len(half)} bytes of a truncated or corrupt PNG image"),
        (b"\x89PNG\r\n\x1a\n", "8 bytes that are no image"),
        (b"GIF89a", "6 bytes that are no image"),
        (declared_png(0, 8), f"{len(declared_png(0, 8))} bytes that are no image"),
        (b"", "0 bytes that are no image"),
    ]
    for body, got in cases:
        response = _predict(
            server, "digits-is-3", content=body, headers={"content-type": "image/png"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["problems"] == [{"pointer": "", "expected": EXPECTED, "got": got}]


def _connect(server: RunningServer, timeout_s: float) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout_s)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or the socket's timeout
    passes, which raises)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_stalled_body_is_answered_408_and_the_connection_closed(server, hostile_demo):
    body = json.dumps({"instances": [hostile_demo.cancer_record]}).encode()
    with _connect(server, timeout_s=10) as sock:
        sock.sendall(
            b"POST /endpoints/breast-cancer/predict HTTP/1.1\r\nhost: x\r\n"
            b"content-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body) + body[:20]
        )
        answer = _read_until_closed(sock)
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in head.lower()
    assert json.loads(content)["error"] == "request body not received within 1 s"
    assert _predict(server, "breast-cancer", content=body).status_code == 200


def test_headers_without_any_body_are_answered_408(server):
    with _connect(server, timeout_s=10) as sock:
        sock.sendall(
            b"POST /v2/models/breast-cancer/infer HTTP/1.1\r\nhost: x\r\n"
            b"content-type: application/json\r\ncontent-length: 100\r\n\r\n"
        )
        answer = _read_until_closed(sock)
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(content)["error"] == "request body not received within 1 s"


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(server):
    with _connect(server, timeout_s=KEEP_ALIVE_S + 2) as sock:  # uvicorn's default is 5 s
        sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nhost: x\r\n\r\n")
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")


def _slow_then_fast(server: RunningServer, endpoint: str) -> tuple[int, int]:
    """Statuses of a 3 s request and of a fast one sent while the first is in its batch."""
    _SlowModel.slow_started.clear()
    slow = [-1.0] + [1.0] * 29
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_predict, server, endpoint, json={"instances": [slow]})
        assert _SlowModel.slow_started.wait(10)
        fast = _predict(server, endpoint, json={"instances": [[1.0] * 30]})
        return first.result().status_code, fast.status_code


def test_a_long_batch_leaves_a_lane_for_the_next_request(server):
    slow, fast = _slow_then_fast(server, "slow")
    assert fast == 200
    assert slow == 504  # 3 s of model against the server's 2 s timeout


def test_with_one_lane_the_next_request_waits_behind_the_long_batch(server):
    slow, fast = _slow_then_fast(server, "slow-one-lane")
    assert (slow, fast) == (504, 504)


def test_many_large_images_in_one_body_are_refused_past_the_request_budget(server):
    png = blank_png(4096, 4096)  # the largest image allowed; about 50 KB compressed
    files = [("file", (f"{i}.png", png, "image/png")) for i in range(40)]  # 2 MB, 671 M pixels
    response = _predict(server, "digits-is-3", files=files)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["pointer"] for p in problems] == [f"/{i}" for i in range(4, 40)]
    assert problems[0] == {
        "pointer": "/4",
        "expected": f"images of at most {4 * 4096 * 4096} pixels in all per request "
        "(limits.max_request_pixels)",
        "got": "an image declaring 4096x4096 pixels past that total",
    }
