"""``/openapi.json``: a valid document (openapi-spec-validator) that documents every status the
server answers, and that schemathesis, fuzzing a live server from it, finds true."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from servertools import RunningServer

PREDICT_ERRORS = {"400", "404", "405", "413", "415", "422", "503", "504"}


@pytest.fixture(scope="module")
def document(v2_server: RunningServer) -> dict[str, Any]:
    response = httpx.get(f"{v2_server.url}/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_document_passes_openapi_spec_validator(document: dict[str, Any]) -> None:
    validate(document)


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = Counter(operation["operationId"] for _, _, operation in _operations(document))
    assert [name for name, count in ids.items() if count > 1] == []
    assert {"v2_infer_flowers", "v2_infer_flowers_version"} <= set(ids)


def test_predict_and_infer_document_every_error_status(document: dict[str, Any]) -> None:
    for path in (
        "/endpoints/flowers/predict",
        "/v2/models/flowers/infer",
        "/v2/models/flowers/versions/1/infer",
    ):
        responses = document["paths"][path]["post"]["responses"]
        assert PREDICT_ERRORS | {"200"} <= set(responses), path
        assert responses["415"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_every_operation_documents_405(document: dict[str, Any]) -> None:
    assert [path for _, path, op in _operations(document) if "405" not in op["responses"]] == []


def test_v2_metadata_and_readiness_document_404(document: dict[str, Any]) -> None:
    for path in (
        "/v2/models/{name}",
        "/v2/models/{name}/versions/{version}",
        "/v2/models/{name}/ready",
        "/v2/models/{name}/versions/{version}/ready",
    ):
        assert "404" in document["paths"][path]["get"]["responses"], path


def test_admin_routes_document_401_and_403(document: dict[str, Any]) -> None:
    responses = document["paths"]["/admin/reload"]["post"]["responses"]
    assert {"200", "401", "403", "503"} <= set(responses)


def test_v2_documents_the_binary_tensor_extension(document: dict[str, Any]) -> None:
    infer = document["paths"]["/v2/models/flowers/infer"]["post"]
    binary = {"type": "string", "format": "binary"}
    request = infer["requestBody"]["content"]["application/octet-stream"]["schema"]
    answer = infer["responses"]["200"]["content"]["application/octet-stream"]["schema"]
    assert request.items() >= binary.items() and answer.items() >= binary.items()
    assert "Inference-Header-Content-Length" in infer["responses"]["200"]["headers"]


def test_metrics_documents_its_real_content_type(
    document: dict[str, Any], v2_server: RunningServer
) -> None:
    served = httpx.get(f"{v2_server.url}/metrics").headers["content-type"]
    assert list(document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == [served]


def test_null_is_documented_only_where_training_had_gaps(document: dict[str, Any]) -> None:
    schema = document["paths"]["/endpoints/gappy/predict"]["post"]["requestBody"]["content"]
    record = schema["application/json"]["schema"]["properties"]["instances"]["items"]["oneOf"][0]
    assert record["properties"]["mean radius"]["type"] == ["number", "null"]
    assert record["properties"]["worst area"]["type"] == "number"


def _config() -> str:
    """The schemathesis settings; each relaxed check says why it is relaxed.

    Every check is on unless said otherwise here (schemathesis's default is the set that
    ``--checks all`` names; passing that flag would override the per-operation lines below).
    """
    lines = [
        # 413 (too many instances: over the documented maxItems) and 415 refuse a request as
        # surely as 400 or 422 do.
        "[checks.negative_data_rejection]",
        "expected-statuses = [400, 401, 403, 404, 405, 413, 415, 422]",
        # A V2 tensor's data must hold exactly the product of its shape, and each input must
        # come once: JSON Schema can say neither, so a schema-valid V2 request may still be a
        # 422 (and a schema-valid octet-stream body a 400 when it is not the binary framing).
        "[[operations]]",
        'include-path-regex = "/infer$"',
        "checks.positive_data_acceptance.enabled = false",
        # On the native route a schema-valid request may still be a 422 for what JSON Schema
        # cannot say: an image endpoint takes any string as base64 and any bytes as image/png,
        # but the bytes must decode as an image; numbers within float32's range but far from
        # the training data can make a model's output overflow (a 422 naming the output,
        # never a null); and an endpoint with validation.profile: reject refuses values outside
        # the training range. Schema-violating requests are still all checked (just above).
        "[[operations]]",
        'include-path-regex = "/predict$"',
        "checks.positive_data_acceptance.enabled = false",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_undocumented_status(
    v2_server: RunningServer, tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config())
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config),
            "run", f"{v2_server.url}/openapi.json",
            "--phases", "examples,coverage,fuzzing", "--max-examples", "15",
            "--workers", "1", "--seed", "20261201", "--continue-on-failure",
        ],
        capture_output=True, text=True, timeout=280, check=False,
        cwd=tmp_path,  # its replay cache goes there, not into the checkout
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:]
    assert re.search(r"\b(\d+) generated, \1 passed\b", run.stdout), run.stdout[-6000:]
