"""HTTP semantics of the predict and infer paths: 405 with ``Allow``, 415 naming the accepted
types, compressed bodies, and error messages that never repeat what the request held."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable

import httpx
import pytest
from servertools import RunningServer

from modelyard.demo import Demo

SECRET = "zqxjboywrror"
PATHS = [
    "/endpoints/breast-cancer/predict",
    "/endpoints/no-such-endpoint/predict",
    "/v2/models/breast-cancer/infer",
    "/v2/models/breast-cancer/versions/1/infer",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_another_method_on_a_predict_path_is_405_with_allow(
    server: RunningServer, path: str, method: str
) -> None:
    response = httpx.request(method, server.url + path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"] == "method not allowed; this path takes POST"


def test_head_on_a_predict_path_is_405_without_a_body(server: RunningServer) -> None:
    response = httpx.head(server.url + PATHS[0])
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.content == b""


@pytest.mark.parametrize(
    "path", ["/v2/models/breast-cancer/ready", "/v2/health/live", "/metrics", "/endpoints"]
)
def test_post_on_a_read_route_is_405_with_allow(server: RunningServer, path: str) -> None:
    response = httpx.post(server.url + path)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET"}
    assert response.json() == {"error": "Method Not Allowed"}


def _post(server: RunningServer, path: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(server.url + path, content=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    "content_type", ["application/xml", "text/plain", "application/x-www-form-urlencoded"]
)
def test_a_tabular_endpoint_takes_only_json(server: RunningServer, content_type: str) -> None:
    response = _post(server, PATHS[0], b"<x/>", **{"content-type": content_type})
    assert response.status_code == 415
    assert response.json()["error"] == (
        "unsupported Content-Type; this route takes application/json"
    )


def test_an_image_endpoint_names_the_image_types(server: RunningServer) -> None:
    response = _post(server, "/endpoints/digits-is-3/predict", b"x", **{"content-type": "text/csv"})
    assert response.status_code == 415
    assert response.json()["error"] == (
        "unsupported Content-Type; this route takes application/json, image/*, "
        "application/octet-stream, multipart/form-data"
    )


def test_v2_takes_json_or_binary_tensors(server: RunningServer) -> None:
    response = _post(server, PATHS[2], b"{}", **{"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["error"] == (
        "unsupported Content-Type; this route takes application/json, "
        "or application/octet-stream with binary tensors"
    )


@pytest.mark.parametrize("content_type", ["Application/JSON", "application/vnd.api+json"])
def test_json_is_recognised_in_any_case_and_as_a_json_suffix(
    server: RunningServer, demo: Demo, content_type: str
) -> None:
    response = _post(server, PATHS[0], _instances(demo), **{"content-type": content_type})
    assert response.status_code == 200, response.text


def test_an_image_type_is_recognised_in_any_case(server: RunningServer, demo: Demo) -> None:
    png = demo.digit_png.read_bytes()
    response = _post(server, "/endpoints/digits-is-3/predict", png, **{"content-type": "IMAGE/PNG"})
    assert response.status_code == 200, response.text


def _instances(demo: Demo) -> bytes:
    return json.dumps({"instances": [demo.cancer_record]}).encode()


@pytest.mark.parametrize(
    ("encoding", "compress"), [("gzip", gzip.compress), ("deflate", zlib.compress)]
)
def test_a_compressed_body_is_answered_like_a_plain_one(
    server: RunningServer, demo: Demo, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    plain = _post(server, PATHS[0], _instances(demo), **{"content-type": "application/json"})
    packed = _post(
        server, PATHS[0], compress(_instances(demo)),
        **{"content-type": "application/json", "content-encoding": encoding},
    )  # fmt: skip
    assert packed.status_code == 200
    assert packed.json()["predictions"] == plain.json()["predictions"]


def test_an_unknown_encoding_is_415_with_accept_encoding(server: RunningServer) -> None:
    response = _post(server, PATHS[0], b"x", **{"content-encoding": "br"})
    assert response.status_code == 415
    assert response.headers["accept-encoding"] == "gzip, deflate"
    assert response.json()["error"] == (
        "unsupported Content-Encoding; send the body uncompressed, gzip or deflate"
    )


def test_a_body_that_does_not_decompress_is_400(server: RunningServer) -> None:
    response = _post(server, PATHS[2], b"not gzip", **{"content-encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["error"] == "malformed compressed body: it does not decompress"
    cut = gzip.compress(b'{"inputs": []}' * 50)[:-12]
    response = _post(server, PATHS[2], cut, **{"content-encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["error"] == (
        "malformed compressed body: it ends before the compressed stream"
    )


def test_a_body_that_inflates_past_the_limit_is_413(server: RunningServer) -> None:
    bomb = gzip.compress(b" " * 100_000)  # 4096-byte limit on "tight"; the bomb is ~100 bytes
    response = _post(server, "/endpoints/tight/predict", bomb, **{"content-encoding": "gzip"})
    assert response.status_code == 413
    assert response.json()["error"] == ("decompressed request body is over the limit of 4096 bytes")


def test_native_errors_never_repeat_the_request(server: RunningServer, demo: Demo) -> None:
    record = dict(demo.cancer_record)
    payloads = [
        {"instances": [{**record, "mean radius": SECRET}]},
        {"instances": [{**record, SECRET: 1.0}]},
        {"instances": [{**record, "worst area": {SECRET: SECRET}}]},
        {"instances": [[SECRET] * 30]},
        {"instances": SECRET},
        {SECRET: [record]},
        [SECRET],
        SECRET,
    ]
    for payload in payloads:
        response = _post(server, PATHS[0], json.dumps(payload).encode())
        assert response.status_code < 500, response.text  # an unknown field is ignored: 200
        assert SECRET not in response.text, payload
    broken = _post(server, PATHS[0], b'{"' + SECRET.encode() + b'": [1,')
    assert broken.status_code == 400 and SECRET not in broken.text
