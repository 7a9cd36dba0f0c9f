"""What operators see: Prometheus metrics, the OpenAPI document, JSON-lines logs."""

from __future__ import annotations

import re

import httpx
import orjson
from servertools import RunningServer

from modelyard.demo import Demo


def _value(metrics: str, name: str, **labels: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_errors_latency_stages_and_batches(
    server: RunningServer, demo: Demo
) -> None:
    url = f"{server.url}/endpoints/breast-cancer/predict"
    labels = {"endpoint": "breast-cancer", "model": "breast_cancer", "version": "1"}
    before = httpx.get(f"{server.url}/metrics").text
    httpx.post(url, json={"instances": [demo.cancer_record]})
    httpx.post(url, json={"instances": [{"x": 1}]})
    after = httpx.get(f"{server.url}/metrics").text
    for status, name in (("200", "modelyard_requests_total"), ("422", "modelyard_errors_total")):
        grew = _value(after, name, status=status, **labels) - _value(
            before, name, status=status, **labels
        )
        assert grew == 1
    assert _value(after, "modelyard_request_duration_seconds_count", **labels) >= 2
    for stage in ("decode", "validate", "queue", "infer", "postprocess", "encode"):
        assert _value(after, "modelyard_stage_duration_seconds_count", stage=stage, **labels) >= 1
    assert _value(after, "modelyard_batch_size_rows_bucket", le="1.0", **labels) >= 1


def test_openapi_documents_each_endpoint_with_its_signature(server: RunningServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    predict = document["paths"]["/endpoints/breast-cancer/predict"]["post"]
    schema = predict["requestBody"]["content"]["application/json"]["schema"]
    record, row = schema["properties"]["instances"]["items"]["oneOf"]
    # the model reads float32: the first number that would round to infinity is excluded
    assert record["properties"]["mean radius"] == {
        "type": "number",
        "title": "mean radius",
        "exclusiveMinimum": -float(2**128 - 2**103),
        "exclusiveMaximum": float(2**128 - 2**103),
    }
    assert len(record["required"]) == 30
    assert row["minItems"] == row["maxItems"] == 30
    assert set(predict["responses"]) == {
        "200", "400", "404", "405", "413", "415", "422", "503", "504"
    }  # fmt: skip
    images = document["paths"]["/endpoints/digits-is-3/predict"]["post"]["requestBody"]["content"]
    assert {"image/png", "image/jpeg", "multipart/form-data", "application/json"} <= set(images)
    infer = document["paths"]["/v2/models/breast-cancer/infer"]["post"]["requestBody"]
    tensor = infer["content"]["application/json"]["schema"]["properties"]["inputs"]["items"]
    assert tensor["oneOf"][0]["properties"]["name"] == {"const": "input"}
    assert "/admin/reload" in document["paths"]


def test_docs_page_is_served(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text


def test_logs_are_json_lines_with_the_request_id(server: RunningServer) -> None:
    response = httpx.post(
        f"{server.url}/endpoints/breast-cancer/predict",
        content=b"{",
        headers={"x-request-id": "log-check-1"},
    )
    assert response.status_code == 400
    lines = [orjson.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    entry = next(line for line in lines if line.get("request_id") == "log-check-1")
    assert entry["status"] == 400
    assert entry["endpoint"] == "breast-cancer"
    assert re.match(r"malformed JSON", entry["message"])
