"""The prediction log through a real server: what each record holds, sampling, errors, images,
the Parquet store and profile violation counts.

Models are trained here on scikit-learn's datasets and logged into a real SQLite registry;
the log is read back through the real store, waiting (with a deadline) for the writer's flush.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import tritonclient.http as triton
import yaml
from logtools import build_registry, metric, read_log, records, wait_for
from servertools import RunningServer, start_server
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from v2_models import FLOWER, flower_inputs

from modelyard.demo import Demo, digit_png

LOGGED = {"sample_rate": 1.0, "flush_every": 0.1}
KEYS = [f"user-{i}" for i in range(24)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, RunningServer, Path]]:
    home = tmp_path_factory.mktemp("prediction-log")
    demo = build_registry(home)
    parquet = home / "parquet-log"
    flowers = "flowers@production"
    endpoints = [
        {"id": "flowers", "model": flowers, "logging": LOGGED},
        {"id": "arrays", "model": "lr_arrays:1", "logging": LOGGED},
        {"id": "diabetes", "model": "diabetes:1", "logging": LOGGED},
        {"id": "digits", "model": "digits@production", "logging": LOGGED},
        {"id": "gappy", "model": "gappy@production", "logging": LOGGED},
        {"id": "violations", "model": flowers, "logging": LOGGED},
        {"id": "no-errors", "model": flowers, "logging": {**LOGGED, "keep_errors": False}},
        {"id": "errors-only", "model": flowers},  # the default: sample_rate 0, keep_errors
        {
            "id": "keyed",
            "model": flowers,
            "logging": {**LOGGED, "sample_rate": 0.5, "sample_by": "header:X-User-Id"},
        },
        {"id": "sampled", "model": flowers, "logging": {**LOGGED, "sample_rate": 0.25}},
        {"id": "parquet", "model": flowers, "logging": {**LOGGED, "store": f"parquet:{parquet}"}},
        {"id": "unlogged", "model": flowers, "logging": {"keep_errors": False}},
    ]
    demo.endpoints_file.write_text(yaml.safe_dump({"endpoints": endpoints}, sort_keys=False))
    server = start_server(demo, demo.endpoints_file, home)
    yield demo, server, parquet
    server.stop()


def _predict(url: str, endpoint: str, instances: list, request_id: str, **headers: str):
    return httpx.post(
        f"{url}/endpoints/{endpoint}/predict", json={"instances": instances},
        headers={"x-request-id": request_id, **headers}, timeout=30,
    )  # fmt: skip


def _logged(demo: Demo, endpoint: str, request_id: str, store: str = "registry") -> pd.DataFrame:
    """``endpoint``'s log once ``request_id`` is in it."""
    frame = wait_for(
        lambda: read_log(demo, endpoint, store), lambda f: (f["request_id"] == request_id).any()
    )
    assert (frame["request_id"] == request_id).any(), f"{request_id} never logged"
    return frame


def test_a_record_holds_the_request_its_typed_inputs_and_its_outputs(site) -> None:
    demo, server, _ = site
    second = {"length": 6.7, "width": 3.0, "colour": "blue"}
    before = datetime.now(UTC)
    response = _predict(server.url, "flowers", [FLOWER, second], "flowers-two")
    assert response.status_code == 200, response.text
    rows = records(_logged(demo, "flowers", "flowers-two"), "flowers-two")
    assert [row["instance"] for row in rows] == [0, 1]
    for row, sent, answer in zip(rows, [FLOWER, second], response.json()["predictions"],
                                 strict=True):  # fmt: skip
        assert row["endpoint"] == "flowers"
        assert row["variant"] == response.headers["x-variant"] == "primary"
        assert (row["model"], row["version"]) == ("flowers", 1)
        assert row["status"] == 200
        assert row["error"] is None or pd.isna(row["error"])
        assert 0 < row["latency_ms"] < 30_000
        moment = pd.Timestamp(row["time"]).to_pydatetime()
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        assert before - timedelta(seconds=1) <= moment <= datetime.now(UTC)
        assert row["input.length"] == pytest.approx(sent["length"], rel=1e-6)
        assert row["input.width"] == pytest.approx(sent["width"], rel=1e-6)
        assert row["input.colour"] == sent["colour"]
        assert str(row["output.label"]) == str(answer["label"])
        assert row["output.score"] == pytest.approx(answer["score"])
        for name, probability in answer["probabilities"].items():
            assert row[f"output.probabilities.{name}"] == pytest.approx(probability)


def test_a_numpy_trained_model_logs_one_column_per_x(site) -> None:
    demo, server, _ = site
    row = load_breast_cancer().data[0]
    response = _predict(server.url, "arrays", [row.tolist()], "arrays-one")
    assert response.status_code == 200, response.text
    (logged,) = records(_logged(demo, "arrays", "arrays-one"), "arrays-one")
    inputs = sorted((k for k in logged if k.startswith("input.")), key=lambda k: int(k[7:]))
    assert inputs == [f"input.x{i}" for i in range(30)]
    assert [logged[k] for k in inputs] == pytest.approx(row.tolist(), rel=1e-6)
    assert logged["output.label"] == response.json()["predictions"][0]["label"]


def test_a_regressor_logs_its_value(site) -> None:
    demo, server, _ = site
    record = load_diabetes(as_frame=True).data.iloc[0].to_dict()
    response = _predict(server.url, "diabetes", [record], "diabetes-one")
    assert response.status_code == 200, response.text
    (logged,) = records(_logged(demo, "diabetes", "diabetes-one"), "diabetes-one")
    assert logged["output.value"] == pytest.approx(response.json()["predictions"][0]["value"])
    assert logged["input.bmi"] == pytest.approx(record["bmi"], rel=1e-5)


def test_a_failed_request_logs_its_status_and_message_without_inputs(site) -> None:
    demo, server, _ = site
    bad = {**FLOWER, "length": "long"}
    response = _predict(server.url, "flowers", [bad], "flowers-bad")
    assert response.status_code == 422
    (logged,) = records(_logged(demo, "flowers", "flowers-bad"), "flowers-bad")
    assert logged["status"] == 422
    assert logged["error"] == response.json()["error"]
    assert logged["model"] == "flowers"
    assert pd.isna(logged["input.length"]) and pd.isna(logged["output.label"])


def test_keep_errors_off_logs_no_failure(site) -> None:
    demo, server, _ = site
    bad = _predict(server.url, "no-errors", [{**FLOWER, "width": "x"}], "quiet-bad")
    assert bad.status_code == 422
    assert _predict(server.url, "no-errors", [FLOWER], "quiet-good").status_code == 200
    frame = _logged(demo, "no-errors", "quiet-good")  # written after the failure, if it were
    assert "quiet-bad" not in set(frame["request_id"])


def test_by_default_only_failed_requests_are_logged(site) -> None:
    demo, server, _ = site
    assert _predict(server.url, "errors-only", [FLOWER], "unsampled").status_code == 200
    assert _predict(server.url, "errors-only", [{}], "kept-error").status_code == 422
    frame = _logged(demo, "errors-only", "kept-error")
    assert set(frame["request_id"]) == {"kept-error"}


def test_a_tritonclient_request_is_logged_under_the_id_it_sent(site) -> None:
    demo, server, _ = site
    client = triton.InferenceServerClient(server.url.removeprefix("http://"))
    try:
        client.infer("flowers", flower_inputs(True), headers={"x-request-id": "triton-1"})
    finally:
        client.close()

    (record,) = records(_logged(demo, "flowers", "triton-1"), "triton-1")
    assert record["status"] == 200 and record["input.colour"] == FLOWER["colour"]
    assert record["input.length"] == pytest.approx(FLOWER["length"])
    assert record["output.label"] is not None


def test_v2_requests_log_the_same_columns_as_native_ones(site) -> None:
    demo, server, _ = site
    assert _predict(server.url, "flowers", [FLOWER], "native-twin").status_code == 200
    body = {
        "inputs": [
            {"name": "length", "shape": [1, 1], "datatype": "FP32", "data": [FLOWER["length"]]},
            {"name": "width", "shape": [1, 1], "datatype": "FP32", "data": [FLOWER["width"]]},
            {"name": "colour", "shape": [1, 1], "datatype": "BYTES", "data": [FLOWER["colour"]]},
        ]
    }
    response = httpx.post(
        f"{server.url}/v2/models/flowers/infer", json=body, headers={"x-request-id": "v2-twin"}
    )
    assert response.status_code == 200, response.text
    frame = _logged(demo, "flowers", "v2-twin")  # the native one, sent first, is in too
    (native,) = records(frame, "native-twin")
    (v2,) = records(frame, "v2-twin")
    logged = [k for k in native if k.startswith(("input.", "output."))]
    assert len(logged) >= 6
    for key in logged:
        if isinstance(native[key], float):
            assert v2[key] == pytest.approx(native[key]), key
        else:
            assert v2[key] == native[key], key


def test_header_sampling_keeps_or_drops_every_request_of_a_key(site) -> None:
    demo, server, _ = site
    for key in KEYS:
        for n in range(4):
            response = _predict(server.url, "keyed", [FLOWER], f"{key}-{n}", **{"X-User-Id": key})
            assert response.status_code == 200
    kept = {key for key in KEYS if zlib.crc32(key.encode()) < 0.5 * 2**32}
    assert 0 < len(kept) < len(KEYS)  # the test means something: some kept, some not
    frame = wait_for(lambda: read_log(demo, "keyed"), lambda f: len(f) >= 4 * len(kept))
    logged = frame["request_id"].str.rsplit("-", n=1).str[0].value_counts().to_dict()
    assert logged == {key: 4 for key in kept}


def test_random_sampling_keeps_about_the_rate(site) -> None:
    demo, server, _ = site
    sent = 400
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for n in range(sent):
            client.post(
                "/endpoints/sampled/predict", json={"instances": [FLOWER]},
                headers={"x-request-id": f"sampled-{n}"},
            )  # fmt: skip
        # An error is always kept, and the buffer is written in order: once it is in the
        # log, every sampled request before it is too.
        client.post("/endpoints/sampled/predict", json={}, headers={"x-request-id": "last"})
    frame = _logged(demo, "sampled", "last")
    kept = int((frame["status"] == 200).sum())
    expected, spread = sent * 0.25, math.sqrt(sent * 0.25 * 0.75)
    assert abs(kept - expected) < 4.5 * spread, kept


def test_an_image_endpoint_logs_its_digest_and_size_not_its_pixels(site) -> None:
    demo, server, _ = site
    png = digit_png(load_digits().data[3])
    response = httpx.post(
        f"{server.url}/endpoints/digits/predict", content=png,
        headers={"content-type": "image/png", "x-request-id": "digit"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    (logged,) = records(_logged(demo, "digits", "digit"), "digit")
    assert logged["input.sha256"] == hashlib.sha256(png).hexdigest()
    assert logged["input.bytes"] == len(png)
    assert [k for k in logged if k.startswith("input.")] == ["input.sha256", "input.bytes"]


def test_the_parquet_store_is_written_through_the_server(site) -> None:
    demo, server, parquet = site
    assert _predict(server.url, "parquet", [FLOWER], "to-parquet").status_code == 200
    frame = _logged(demo, "parquet", "to-parquet", store=f"parquet:{parquet}")
    (logged,) = records(frame, "to-parquet")
    assert logged["input.colour"] == "green" and logged["status"] == 200


def test_profile_violations_are_counted_per_feature_and_kind(site) -> None:
    demo, server, _ = site
    odd = [{**FLOWER, "colour": "purple"}, {**FLOWER, "length": 50.0}, {**FLOWER, "length": 60.0}]
    assert _predict(server.url, "violations", odd, "odd").status_code == 200
    gap = load_breast_cancer(as_frame=True).data.iloc[0].to_dict() | {"mean radius": None}
    assert _predict(server.url, "gappy", [gap], "gap").status_code == 200
    _logged(demo, "violations", "odd")
    _logged(demo, "gappy", "gap")

    def count(endpoint: str, feature: str, kind: str) -> float:
        return metric(server.url, "modelyard_profile_violations_total", endpoint=endpoint,
                      feature=feature, kind=kind)  # fmt: skip

    assert count("violations", "colour", "unseen_category") == 1
    assert count("violations", "length", "out_of_range") == 2
    assert count("violations", "width", "out_of_range") == 0
    assert count("gappy", "mean radius", "missing") == 1


def test_the_log_counters_are_on_metrics(site) -> None:
    demo, server, _ = site
    assert _predict(server.url, "flowers", [FLOWER], "counted").status_code == 200
    frame = _logged(demo, "flowers", "counted")
    written = metric(server.url, "modelyard_prediction_log_written_total", endpoint="flowers")
    assert written >= frame["request_id"].nunique()
    assert metric(server.url, "modelyard_prediction_log_dropped_total", endpoint="flowers") == 0
    text = httpx.get(f"{server.url}/metrics").text
    assert 'modelyard_prediction_log_written_total{endpoint="unlogged"}' not in text
    assert np.isfinite(written)
