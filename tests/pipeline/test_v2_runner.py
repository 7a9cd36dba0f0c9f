"""The ``v2`` runner against a real MLServer (from PyPI, in its own virtualenv).

``.ci/setup-mlserver.sh`` creates that virtualenv; point ``MODELYARD_MLSERVER_BIN`` at its
``mlserver`` executable. Outside CI the tests skip, loudly, when it is not set.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.package.builder import build_package
from modelyard.pipeline import Pipeline
from modelyard.pipeline.runners.remote import RemoteError
from modelyard.pipeline.spec import PipelineOverride
from nettools import free_port

MLSERVER = os.environ.get("MODELYARD_MLSERVER_BIN")
START_DEADLINE_S = 90

if not MLSERVER:
    reason = (
        "MODELYARD_MLSERVER_BIN is not set: run .ci/setup-mlserver.sh and export "
        "MODELYARD_MLSERVER_BIN=<its printed path> to test the v2 runner against MLServer"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="module")
def trained(breast_cancer):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )


@pytest.fixture(scope="module")
def mlserver(tmp_path_factory: pytest.TempPathFactory, trained) -> Iterator[str]:
    """MLServer serving the joblib'd model as ``bc`` (version ``v1``) on a free port."""
    folder = tmp_path_factory.mktemp("mlserver")
    joblib.dump(trained, folder / "model.joblib")
    (folder / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "bc",
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib", "version": "v1"},
            }
        )
    )
    port = free_port()
    (folder / "settings.json").write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "http_port": port,
                "grpc_port": free_port(),
                "metrics_port": free_port(),
                "parallel_workers": 0,
            }
        )
    )
    log = (folder / "mlserver.log").open("wb")
    process = subprocess.Popen(
        [str(MLSERVER), "start", str(folder)], stdout=log, stderr=subprocess.STDOUT, cwd=folder
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_DEADLINE_S
    with httpx.Client(timeout=1.0) as client:
        while True:
            try:
                if client.get(f"{url}/v2/models/bc/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"MLServer not ready after {START_DEADLINE_S} s")
            try:  # poll interval: returns early, and fails, if MLServer exits
                process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"MLServer exited: {(folder / 'mlserver.log').read_text()[-2000:]}")
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, trained, breast_cancer) -> Path:
    out = tmp_path_factory.mktemp("v2") / "bc"
    build_package(trained, "bc_remote", out, sample=breast_cancer.X_train.head(50))
    return out


def _remote(package: Path, url: str, name: str = "bc") -> Pipeline:
    override = {
        "runner": {
            "name": "v2",
            "args": {
                "url": url,
                "model_name": name,
                "model_version": "v1",
                "outputs": {"predict": "label", "predict_proba": "probabilities"},
            },
        }
    }
    return Pipeline.from_package(package, PipelineOverride.model_validate(override))


def test_mlserver_answers_like_the_local_onnx_copy(mlserver, package, breast_cancer):
    remote = _remote(package, mlserver)
    local = Pipeline.from_package(package)
    payloads = [breast_cancer.X_test.iloc[i : i + 4].to_dict(orient="records") for i in (0, 4, 20)]
    got = remote.predict_batch(payloads)
    want = local.predict_batch(payloads)
    for g, w in zip(got, want, strict=True):
        assert [p["label"] for p in g["predictions"]] == [p["label"] for p in w["predictions"]]
        np.testing.assert_allclose(
            [p["score"] for p in g["predictions"]],
            [p["score"] for p in w["predictions"]],
            atol=1e-5,
        )


def test_postprocessed_frame_through_mlserver_has_the_standard_keys(
    mlserver, package, breast_cancer
):
    outputs = _remote(package, mlserver).postprocessed_frame(breast_cancer.X_test)
    assert outputs["probabilities"].shape == (len(breast_cancer.X_test), 2)
    assert outputs["label"].shape == (len(breast_cancer.X_test),)
    assert (outputs["label"] == breast_cancer.y_test.to_numpy()).mean() > 0.9


def test_a_model_mlserver_does_not_serve_fails_at_load(mlserver, package):
    with pytest.raises(
        RemoteError, match=rf"model 'nope' is not ready at {mlserver} \(status 404\)"
    ):
        _remote(package, mlserver, name="nope")
