"""Every method of ``modelyard.Client`` against a real server, with typed answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from clientsite import Site

from modelyard.client import Client, EndpointInfo, Health, Inference, ModelRef, Prediction
from modelyard.demo import digit_png

STAGES = ["decode", "validate", "queue", "infer", "postprocess", "encode"]


def _records(site: Site, n: int = 3) -> list[dict[str, float]]:
    record = site.demo.cancer_record
    return [{name: value * (1 + i / 10) for name, value in record.items()} for i in range(n)]


def test_predict_answers_predictions_model_request_id_and_timings(
    client: Client, site: Site
) -> None:
    answer = client.predict("breast-cancer", _records(site), request_id="client-predict-1")
    assert isinstance(answer, Prediction)
    assert len(answer.predictions) == 3
    assert {"label", "probabilities"} <= set(answer.predictions[0])
    assert answer.model == ModelRef("breast_cancer", "1")
    assert answer.request_id == "client-predict-1"
    assert answer.variant == "primary"
    assert list(answer.timings.stages) == STAGES
    assert answer.timings.total_ms > 0
    assert answer.timings.batch_rows is not None and answer.timings.batch_rows >= 3
    assert answer.timings.batch_requests is not None and answer.timings.batch_requests >= 1


def test_rows_a_dataframe_and_an_array_give_what_records_give(client: Client, site: Site) -> None:
    records = _records(site)
    frame = pd.DataFrame(records)
    expected = client.predict("breast-cancer", records).predictions
    assert client.predict("breast-cancer", frame.to_numpy().tolist()).predictions == expected
    assert client.predict("breast-cancer", frame).predictions == expected
    assert client.predict("breast-cancer", frame.to_numpy()).predictions == expected
    strided = np.asfortranarray(frame.to_numpy(dtype=np.float32))  # not C-contiguous
    labels = [p["label"] for p in client.predict("breast-cancer", strided).predictions]
    assert labels == [p["label"] for p in expected]


def test_records_never_import_pandas(site: Site) -> None:
    code = (
        "import sys, modelyard\n"
        f"client = modelyard.Client({site.url!r})\n"
        f"answer = client.predict('breast-cancer', [{site.demo.cancer_record!r}])\n"
        "print(len(answer.predictions), 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False"]


def test_predict_image_takes_a_path_or_bytes(client: Client, site: Site, tmp_path: Path) -> None:
    path = tmp_path / "digit.png"
    path.write_bytes(site.demo.digit_png.read_bytes())
    from_path = client.predict_image("digits-is-3", path)
    from_bytes = client.predict_image("digits-is-3", path.read_bytes())
    from_text = client.predict_image("digits-is-3", str(path))
    assert from_path.model.name == "digits_is_3"
    assert from_path.predictions == from_bytes.predictions == from_text.predictions
    assert len(from_path.predictions) == 1


def test_an_image_endpoint_tells_a_three_from_a_one(client: Client) -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    three = digits.data[list(digits.target).index(3)]
    one = digits.data[list(digits.target).index(1)]
    labels = [client.predict_image("digits-is-3", digit_png(x)).predictions[0]["label"]
              for x in (three, one)]  # fmt: skip
    assert labels[0] != labels[1]


def test_infer_answers_numpy_arrays_of_every_output(client: Client, site: Site) -> None:
    rows = np.array([list(r.values()) for r in _records(site)], dtype=np.float32)
    answer = client.infer("breast-cancer", {"input": rows}, request_id="client-infer-1")
    assert isinstance(answer, Inference)
    assert set(answer.outputs) == {"label", "probabilities"}
    assert answer.outputs["probabilities"].shape == (3, 2)
    assert answer.outputs["probabilities"].dtype == np.float32
    assert answer.outputs["label"].shape[0] == 3
    np.testing.assert_allclose(answer.outputs["probabilities"].sum(axis=1), 1, rtol=1e-5)
    assert answer.model == ModelRef("breast-cancer", "1")
    assert answer.request_id == answer.id == "client-infer-1"
    assert list(answer.timings.stages) == STAGES


def test_infer_agrees_with_predict(client: Client, site: Site) -> None:
    records = _records(site)
    rows = [list(r.values()) for r in records]
    predicted = client.predict("breast-cancer", records).predictions
    inferred = client.infer("breast-cancer", {"input": rows}).outputs["probabilities"]
    for prediction, probabilities in zip(predicted, inferred, strict=True):
        np.testing.assert_allclose(
            sorted(prediction["probabilities"].values()), sorted(probabilities), rtol=1e-5
        )


def test_infer_takes_v2_input_documents_a_version_and_chosen_outputs(
    client: Client, site: Site
) -> None:
    values = list(site.demo.cancer_record.values())
    document = {"name": "input", "shape": [1, 30], "datatype": "FP64", "data": values}
    answer = client.infer("breast-cancer", [document], version=1, outputs=["label"])
    assert list(answer.outputs) == ["label"]
    assert answer.outputs["label"].shape == (1,)


def test_feedback_takes_a_label_for_an_answered_request(client: Client, site: Site) -> None:
    answer = client.predict("breast-cancer", _records(site, 1))
    receipt = client.feedback("breast-cancer", answer.request_id, label=1)
    assert receipt.accepted == 1


def test_feedback_takes_a_reward_on_a_rollout(client: Client, site: Site) -> None:
    answer = client.predict("ab", _records(site, 1), request_id="client-reward-1")
    assert answer.variant in {"control", "treatment"}
    assert client.feedback("ab", answer.request_id, reward=0.75).accepted == 1


def test_endpoints_lists_each_endpoint_and_its_versions(client: Client) -> None:
    listed = {e.id: e for e in client.endpoints()}
    assert {"breast-cancer", "digits-is-3", "tight", "guarded", "ab"} <= set(listed)
    cancer = listed["breast-cancer"]
    assert isinstance(cancer, EndpointInfo)
    assert cancer.model == ModelRef("breast_cancer", "1")
    assert cancer.reference == "breast_cancer@production"
    assert cancer.strategy == "single"
    ab = listed["ab"]
    assert ab.strategy == "ab"
    arms = {(v.name, v.model.version) for v in ab.variants}
    assert arms == {("control", "1"), ("treatment", "2")}
    assert ab.shadows == ()


def test_health_says_ready(client: Client) -> None:
    assert client.health() == Health(ready=True)


def test_a_token_is_sent_as_a_bearer_token(site: Site) -> None:
    with Client(site.url, token=site.predict_token) as client:
        answer = client.predict("guarded", [site.demo.cancer_record])
    assert answer.model.name == "breast_cancer"


def test_a_trailing_slash_in_the_url_is_forgiven(site: Site) -> None:
    with Client(site.url + "/") as client:
        assert client.health().ready


def test_the_methods_keep_their_documentation() -> None:
    client = Client("http://127.0.0.1:1")
    assert client.predict.__doc__ is not None and "records" in client.predict.__doc__
    assert client.predict.__name__ == "predict"
    client.close()


@pytest.mark.parametrize("name", ["a/b", "x?y=1", "../admin/reload"])
def test_an_endpoint_name_stays_one_path_segment(client: Client, name: str) -> None:
    from modelyard.client import NotFound

    with pytest.raises(NotFound):
        client.predict(name, [[1.0]])
