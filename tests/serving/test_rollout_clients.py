"""Third-party Open Inference Protocol clients against an A/B endpoint on a real server:
tritonclient's HTTP client (JSON and binary tensors) and the KServe SDK's v2 REST client see
both versions unversioned, one version on its versioned path, and a 404 for any other."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from rollouttools import serving
from servertools import RunningServer

from modelyard.demo import Demo

if not os.environ.get("CI"):  # in CI the real client must be there: an ImportError fails
    pytest.importorskip("tritonclient.http", reason="pip install 'tritonclient[http]'")
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

pytestmark = pytest.mark.slow

ENDPOINT = "e2e-clients"
AB = {
    "id": ENDPOINT,
    "model": "breast_cancer@production",
    "traffic": {
        "strategy": "ab",
        "variants": {"control": "breast_cancer@production", "treatment": "breast_cancer:2"},
        "weights": {"control": 50, "treatment": 50},
    },
}
VARIANT_OF = {"1": "control", "2": "treatment"}
CALLS = 60  # both variants answer at least once but with odds of 2 ** -59
NOT_SERVED = f"endpoint '{ENDPOINT}' serves versions 1 and 2"
STICKY = "e2e-clients-sticky"
STICKY_AB = {**AB, "id": STICKY, "traffic": {**AB["traffic"], "sticky": "header:X-User-Id"}}
TWINS = "e2e-clients-twins"
A_A = {  # an A/A test: two variants on one version (as after a promotion and a reload)
    "id": TWINS,
    "model": "breast_cancer:1",
    "traffic": {
        "strategy": "ab",
        "variants": {"left": "breast_cancer:1", "right": "breast_cancer@production"},
        "weights": {"left": 50, "right": 50},
    },
}


@pytest.fixture(scope="module")
def ab_server(rollout_demo: Demo, tmp_path_factory: pytest.TempPathFactory):
    with serving(rollout_demo, tmp_path_factory.mktemp("clients"), [AB, STICKY_AB, A_A]) as server:
        yield server


@pytest.fixture
def client(ab_server: RunningServer) -> Iterator[triton.InferenceServerClient]:
    connection = triton.InferenceServerClient(ab_server.url.removeprefix("http://"))
    yield connection
    connection.close()


def _row(demo: Demo) -> list[float]:
    return [float(value) for value in demo.cancer_record.values()]


def _inputs(demo: Demo, binary: bool) -> list[triton.InferInput]:
    tensor = triton.InferInput("input", [1, 30], "FP32")
    tensor.set_data_from_numpy(np.array([_row(demo)], dtype=np.float32), binary_data=binary)
    return [tensor]


def _versions(
    client: triton.InferenceServerClient, demo: Demo, binary: bool, calls: int, version: str = ""
) -> Counter[str]:
    """How often each version answered ``calls`` inferences (``version``: the pinned one)."""
    outputs = [triton.InferRequestedOutput("probabilities", binary_data=binary)]
    seen: Counter[str] = Counter()
    for _ in range(calls):
        result = client.infer(ENDPOINT, _inputs(demo, binary), version, outputs=outputs)
        probabilities = result.as_numpy("probabilities")
        assert probabilities is not None and probabilities.shape == (1, 2)
        seen[result.get_response()["model_version"]] += 1
    return seen


@pytest.mark.parametrize("binary", [False, True])
def test_an_unversioned_infer_is_answered_by_both_variants(
    client: triton.InferenceServerClient, rollout_demo: Demo, binary: bool
) -> None:
    seen = _versions(client, rollout_demo, binary, CALLS)
    assert set(seen) == {"1", "2"}, seen
    assert sum(seen.values()) == CALLS


@pytest.mark.parametrize("binary", [False, True])
def test_a_versioned_infer_is_always_that_version(
    client: triton.InferenceServerClient, rollout_demo: Demo, binary: bool
) -> None:
    assert _versions(client, rollout_demo, binary, 20, version="2") == {"2": 20}
    assert _versions(client, rollout_demo, binary, 20, version="1") == {"1": 20}


@pytest.mark.parametrize("binary", [False, True])
def test_a_version_the_endpoint_does_not_serve_is_404_naming_those_it_serves(
    client: triton.InferenceServerClient, rollout_demo: Demo, binary: bool
) -> None:
    with pytest.raises(InferenceServerException) as raised:
        client.infer(ENDPOINT, _inputs(rollout_demo, binary), "7")
    assert raised.value.status() == "404"
    assert raised.value.message() == NOT_SERVED


def test_the_metadata_lists_both_versions(client: triton.InferenceServerClient) -> None:
    metadata = client.get_model_metadata(ENDPOINT)
    assert metadata["name"] == ENDPOINT
    assert metadata["versions"] == ["1", "2"]
    assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 30]}]
    assert client.get_model_metadata(ENDPOINT, "2")["versions"] == ["1", "2"]
    with pytest.raises(InferenceServerException) as raised:
        client.get_model_metadata(ENDPOINT, "7")
    assert raised.value.message() == NOT_SERVED


def test_each_served_version_is_ready_and_no_other(client: triton.InferenceServerClient) -> None:
    assert client.is_model_ready(ENDPOINT)
    assert client.is_model_ready(ENDPOINT, "1") and client.is_model_ready(ENDPOINT, "2")
    assert not client.is_model_ready(ENDPOINT, "7")


def test_a_sticky_header_sent_by_the_client_keeps_one_variant(
    client: triton.InferenceServerClient, rollout_demo: Demo
) -> None:
    outputs = [triton.InferRequestedOutput("label", binary_data=True)]
    inputs = _inputs(rollout_demo, binary=True)
    by_user = {
        user: {
            client.infer(
                STICKY, inputs, outputs=outputs, headers={"X-User-Id": user}
            ).get_response()["model_version"]
            for _ in range(20)
        }
        for user in (f"user-{i}" for i in range(12))
    }
    assert all(len(versions) == 1 for versions in by_user.values()), by_user
    assert set().union(*by_user.values()) == {"1", "2"}  # keys still split between both


def test_two_variants_on_one_version_list_it_once(client: triton.InferenceServerClient) -> None:
    assert client.get_model_metadata(TWINS)["versions"] == ["1"]
    with pytest.raises(InferenceServerException) as raised:
        client.get_model_metadata(TWINS, "7")
    assert raised.value.message() == f"endpoint '{TWINS}' serves version 1 only"


def _infer(server: RunningServer, demo: Demo, path: str = "", **body: object) -> httpx.Response:
    document = {"inputs": [{"name": "input", "shape": [1, 30], "datatype": "FP32",
                            "data": _row(demo)}], **body}  # fmt: skip
    return httpx.post(f"{server.url}/v2/models/{ENDPOINT}{path}/infer", json=document, timeout=30)


def test_every_v2_answer_names_its_variant_and_version_in_headers(
    ab_server: RunningServer, rollout_demo: Demo
) -> None:
    answers = [_infer(ab_server, rollout_demo) for _ in range(CALLS)]
    assert {answer.status_code for answer in answers} == {200}
    for answer in answers:
        version = answer.json()["model_version"]
        assert answer.headers["x-model-version"] == version
        assert answer.headers["x-variant"] == VARIANT_OF[version]
        assert answer.headers["x-model-name"] == "breast_cancer"
    assert {answer.headers["x-variant"] for answer in answers} == {"control", "treatment"}
    pinned = _infer(ab_server, rollout_demo, "/versions/2")
    assert (pinned.headers["x-variant"], pinned.headers["x-model-version"]) == ("treatment", "2")


def test_a_bad_body_after_routing_is_422_naming_the_variant(
    ab_server: RunningServer, rollout_demo: Demo
) -> None:
    bad = {"name": "input", "shape": [1, 30], "datatype": "BOOL", "data": [True] * 30}
    url = f"{ab_server.url}/v2/models/{ENDPOINT}"
    with httpx.Client(timeout=30) as http:
        refused = [http.post(f"{url}/infer", json={"inputs": [bad]}) for _ in range(CALLS)]
        pinned = http.post(f"{url}/versions/1/infer", json={"inputs": [bad]})
    for answer in [*refused, pinned]:
        assert answer.status_code == 422
        assert answer.json()["error"] == (
            "payload does not fit the signature: /inputs/0/datatype: expected FP32, got BOOL"
        )
        assert answer.headers["x-variant"] == VARIANT_OF[answer.headers["x-model-version"]]
    assert {answer.headers["x-variant"] for answer in refused} == {"control", "treatment"}
    assert pinned.headers["x-variant"] == "control"


def _kserve_python() -> str:
    found = os.environ.get("MODELYARD_KSERVE_PYTHON")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("MODELYARD_KSERVE_PYTHON is not set in CI: .ci/run must run setup-kserve.sh")
    pytest.skip(
        "MODELYARD_KSERVE_PYTHON is not set: run .ci/setup-kserve.sh and export "
        "MODELYARD_KSERVE_PYTHON=<its printed path> to test with the KServe SDK's v2 client"
    )


def test_the_kserve_v2_rest_client_sees_both_versions_and_the_pinned_one(
    ab_server: RunningServer, rollout_demo: Demo
) -> None:
    script = Path(__file__).with_name("kserve_rollout_client.py")
    run = subprocess.run(
        [_kserve_python(), str(script), ab_server.url, ENDPOINT, json.dumps(_row(rollout_demo)),
         str(CALLS)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    for kind in ("json", "binary"):
        answered = found[kind]
        assert {version for _, version, _ in answered} == {"1", "2"}, answered
        assert all(VARIANT_OF[version] == name for name, version, _ in answered)
        assert {outputs for _, _, outputs in answered} == {"label,probabilities"}
        assert {(name, version) for name, version, _ in found[f"{kind}_pinned"]} == {
            ("treatment", "2")
        }
    assert found["unknown_version"] == f"404 {NOT_SERVED}"
