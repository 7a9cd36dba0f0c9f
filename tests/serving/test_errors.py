"""Every error path: its status and the message a client reads. No input crashes the server."""

from __future__ import annotations

import random

import httpx
from servertools import RunningServer

from modelyard.demo import Demo

SECRET = "do-not-echo-4711"


def predict(server: RunningServer, endpoint: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{server.url}/endpoints/{endpoint}/predict", timeout=30, **kwargs)  # type: ignore[arg-type]


def test_malformed_json_is_400_with_the_position(server: RunningServer) -> None:
    response = predict(
        server,
        "breast-cancer",
        content=b'{"instances": [1,',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("malformed JSON: ")
    assert "line 1 column" in body["error"]
    assert body["request_id"] == response.headers["x-request-id"]


def test_a_misfit_payload_is_422_naming_every_field_without_its_value(
    server: RunningServer, demo: Demo
) -> None:
    record = dict(demo.cancer_record)
    record["mean radius"] = SECRET
    second = dict(demo.cancer_record, **{"worst area": [SECRET]})
    response = predict(server, "breast-cancer", json={"instances": [record, second]})
    assert response.status_code == 422
    body = response.json()
    assert body["problems"] == [
        {"pointer": "/instances/0/mean radius", "expected": "number", "got": "string"},
        {"pointer": "/instances/1/worst area", "expected": "number", "got": "array of 1"},
    ]
    assert body["error"] == (
        "payload does not fit the signature: /instances/0/mean radius: expected number, "
        "got string; /instances/1/worst area: expected number, got array of 1"
    )
    assert SECRET not in response.text


def test_a_missing_field_is_422_naming_it(server: RunningServer, demo: Demo) -> None:
    record = {k: v for k, v in demo.cancer_record.items() if k != "worst area"}
    response = predict(server, "breast-cancer", json={"instances": [record]})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"pointer": "/instances/0/worst area", "expected": "number", "got": "missing"}
    ]


def test_a_payload_without_instances_is_422(server: RunningServer) -> None:
    response = predict(server, "breast-cancer", json={"rows": []})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {
            "pointer": "",
            "expected": 'object {"instances": [...]} or non-empty array',
            "got": "object",
        }
    ]


def test_a_body_over_the_limit_is_413(server: RunningServer) -> None:
    response = predict(
        server,
        "tight",
        content=b"[" + b"1," * 4000 + b"1]",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "request body of 8003 bytes is over the limit of 4096 bytes"


def test_too_many_instances_is_413(server: RunningServer, demo: Demo) -> None:
    response = predict(server, "tight", json={"instances": [demo.cancer_record] * 3})
    assert response.status_code == 413
    assert response.json()["error"] == "request has 3 instances, over the limit of 2"


def test_an_unknown_endpoint_is_404_listing_the_endpoints(server: RunningServer) -> None:
    response = predict(server, "zqxjboywrror", json={"instances": [[1]]})
    assert response.status_code == 404
    body = response.json()
    expected = ["breast-cancer", "dead-runner", "digits-is-3", "stuck-runner", "tight"]
    assert body["endpoints"] == expected
    assert body["error"] == f"no endpoint of that name; endpoints: {', '.join(expected)}"
    assert "zqxjboywrror" not in response.text  # the URL's name is never repeated


def test_a_runner_failure_is_503_with_the_request_id(server: RunningServer, demo: Demo) -> None:
    response = predict(server, "dead-runner", json={"instances": [demo.cancer_record]})
    assert response.status_code == 503
    request_id = response.headers["x-request-id"]
    assert response.json()["error"] == (
        "endpoint 'dead-runner' failed to run the model; "
        f"see the server log for request id {request_id}"
    )
    assert f'"request_id":"{request_id}"' in server.log_text()


def test_a_runner_that_never_answers_is_504(server: RunningServer, demo: Demo) -> None:
    response = predict(server, "stuck-runner", json={"instances": [demo.cancer_record]})
    assert response.status_code == 504
    assert response.json()["error"] == "endpoint 'stuck-runner' did not answer in time"


def test_an_image_that_is_not_an_image_is_422(server: RunningServer) -> None:
    response = predict(
        server, "digits-is-3", content=b"GIF89a" + b"\0" * 20, headers={"content-type": "image/png"}
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["pointer"] == ""


def test_malformed_multipart_is_400(server: RunningServer) -> None:
    response = predict(
        server, "digits-is-3", content=b"garbage", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "malformed multipart body: no boundary or no parts"


def _junk(rng: random.Random) -> bytes:
    pieces = [b"{", b"}", b"[", b"]", b'"instances"', b":", b",", b"1", b"-1e999", b"null",
              b'"x"', b"\xff", b"\0", b"true", b'{"b64": "%%"}', b"1.5", b'"\\ud800"']  # fmt: skip
    return b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))


def test_no_input_crashes_the_server(server: RunningServer) -> None:
    rng = random.Random(7)
    allowed = {400, 404, 413, 415, 422}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for i in range(300):
            endpoint = rng.choice(["breast-cancer", "digits-is-3", "tight", "x/y", ""])
            kind = rng.choice(["application/json", "image/png", "multipart/form-data; boundary=b"])
            response = client.post(
                f"/endpoints/{endpoint}/predict", content=_junk(rng), headers={"content-type": kind}
            )
            assert response.status_code in allowed | {200}, (i, response.text)
            assert response.headers["content-type"].startswith("application/json")
        assert client.get("/v2/health/live").json() == {"live": True}
