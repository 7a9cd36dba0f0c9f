"""The native route: JSON records and rows, raw and multipart images, headers, timing."""

from __future__ import annotations

import re

import httpx
from servertools import RunningServer

from modelyard.demo import Demo
from modelyard.pipeline import Endpoint
from modelyard.serving.metrics import STAGES


def test_records_get_the_in_process_answer_with_model_and_request_id(
    server: RunningServer, demo: Demo, in_process: dict[str, Endpoint]
) -> None:
    payload = {"instances": [demo.cancer_record]}
    response = httpx.post(f"{server.url}/endpoints/breast-cancer/predict", json=payload)
    assert response.status_code == 200
    body = response.json()
    expected = in_process["breast-cancer"].predict(payload)
    assert body["predictions"] == expected["predictions"]
    assert body["model"] == {"name": "breast_cancer", "version": 1}
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-model-name"] == "breast_cancer"
    assert response.headers["x-model-version"] == "1"


def test_rows_in_column_order_answer_like_records(server: RunningServer, demo: Demo) -> None:
    url = f"{server.url}/endpoints/breast-cancer/predict"
    by_record = httpx.post(url, json={"instances": [demo.cancer_record]}).json()
    by_row = httpx.post(url, json={"instances": [list(demo.cancer_record.values())]}).json()
    assert by_row["predictions"] == by_record["predictions"]


def test_a_client_request_id_is_kept(server: RunningServer, demo: Demo) -> None:
    response = httpx.post(
        f"{server.url}/endpoints/breast-cancer/predict",
        json={"instances": [demo.cancer_record]},
        headers={"x-request-id": "order-1234"},
    )
    assert response.json()["request_id"] == "order-1234"
    assert response.headers["x-request-id"] == "order-1234"


def test_a_raw_png_body_is_read_by_the_image_encoder(server: RunningServer, demo: Demo) -> None:
    response = httpx.post(
        f"{server.url}/endpoints/digits-is-3/predict",
        content=demo.digit_png.read_bytes(),
        headers={"content-type": "image/png"},
    )
    assert response.status_code == 200
    assert response.json()["predictions"][0]["label"] == 1
    assert response.json()["model"]["name"] == "digits_is_3"


def test_multipart_images_answer_in_order(server: RunningServer, demo: Demo) -> None:
    png = demo.digit_png.read_bytes()
    response = httpx.post(
        f"{server.url}/endpoints/digits-is-3/predict",
        files=[("file", ("a.png", png, "image/png")), ("file", ("b.png", png, "image/png"))],
    )
    assert response.status_code == 200
    assert [p["label"] for p in response.json()["predictions"]] == [1, 1]


def test_server_timing_names_every_stage_and_the_batch(server: RunningServer, demo: Demo) -> None:
    response = httpx.post(
        f"{server.url}/endpoints/breast-cancer/predict", json={"instances": [demo.cancer_record]}
    )
    timing = response.headers["server-timing"]
    names = [part.strip().split(";")[0] for part in timing.split(",")]
    assert names == [*STAGES, "batch"]
    assert re.search(r'batch;desc="rows=\d+ requests=\d+"', timing)
    assert all(re.fullmatch(r"[\d.]+", part.split("dur=")[1]) for part in timing.split(",")[:6])


def test_endpoints_lists_ids_versions_and_variants(server: RunningServer) -> None:
    listing = httpx.get(f"{server.url}/endpoints").json()["endpoints"]
    cancer = next(item for item in listing if item["id"] == "breast-cancer")
    model = {"name": "breast_cancer", "version": 1}
    assert cancer == {
        "id": "breast-cancer",
        "model": model,
        "reference": "breast_cancer@production",
        "strategy": "single",
        "variants": [{"name": "primary", "reference": "breast_cancer@production", "model": model}],
        "shadows": [],
    }
