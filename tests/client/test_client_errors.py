"""Every error status the server gives, as the exception a client call raises.

Each test provokes the status on the real server the way its own tests do
(tests/serving/test_errors.py, test_auth.py, test_http_semantics.py) and asserts the class,
status, message, field problems and request id the caller gets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from clientsite import FAST_RETRY, SERVER_TIMEOUT_S, Site
from flaky import FlakyProxy

import modelyard
from modelyard.client import Client, ClientError, Problem
from modelyard.client.errors import from_response
from nettools import free_port

HOW_PREDICT = "create one with `modelyard token create NAME --role predict`"
ENDPOINTS = "ab, breast-cancer, dead-runner, digits-is-3, guarded, stuck-runner, tight"


def failure(url: str, call: Callable[[Client], object], **options: Any) -> ClientError:
    """The error that ``call`` raises on a client of ``url`` (which retries quickly)."""
    with Client(url, retry=FAST_RETRY, **options) as client:
        try:
            call(client)
        except ClientError as error:
            return error
    raise AssertionError("the call succeeded")


@pytest.fixture
def proxy(site: Site) -> Iterator[FlakyProxy]:
    """A proxy that forwards every request to the server and counts them."""
    with FlakyProxy(site.url, []).bind().open() as running:
        yield running


def test_a_misfit_payload_is_invalid_input_naming_each_field(client: Client, site: Site) -> None:
    record = dict(site.demo.cancer_record, **{"mean radius": "do-not-echo"})
    with pytest.raises(modelyard.InvalidInput) as raised:
        client.predict("breast-cancer", [record], request_id="client-422")
    error = raised.value
    assert error.status == 422
    assert error.message == (
        "payload does not fit the signature: /instances/0/mean radius: expected number, got string"
    )
    assert error.problems == (Problem("/instances/0/mean radius", "expected number, got string"),)
    assert error.request_id == "client-422"
    assert str(error) == f"HTTP 422: {error.message}"
    assert isinstance(error, modelyard.BadRequest) and isinstance(error, modelyard.RequestRefused)


def test_feedback_without_reward_or_label_is_invalid_input(client: Client) -> None:
    with pytest.raises(modelyard.InvalidInput) as raised:
        client.feedback("breast-cancer", "some-request")
    assert raised.value.message == "/: send exactly one of reward (a number in [0, 1]) or label"


def test_a_reward_out_of_range_is_invalid_input_naming_the_field(client: Client) -> None:
    with pytest.raises(modelyard.InvalidInput) as raised:
        client.feedback("ab", "some-request", reward=2.0)
    assert raised.value.message == "/reward: Input should be less than or equal to 1"


def test_a_malformed_inference_request_is_bad_request(client: Client, site: Site) -> None:
    values = list(site.demo.cancer_record.values())
    with pytest.raises(modelyard.BadRequest) as raised:
        client.infer("breast-cancer", {"input": [values]}, outputs=["nope"])
    error = raised.value
    assert type(error) is modelyard.BadRequest
    assert error.status == 400
    assert error.message == (
        "malformed inference request: /outputs/0/name: no such output; outputs: label, "
        "probabilities"
    )


def test_an_image_to_a_tabular_endpoint_is_415(client: Client, site: Site) -> None:
    with pytest.raises(modelyard.BadRequest) as raised:
        client.predict_image("breast-cancer", site.demo.digit_png)
    assert raised.value.status == 415
    assert raised.value.message == "unsupported Content-Type; this route takes application/json"


def test_no_token_is_unauthorized(client: Client, site: Site) -> None:
    with pytest.raises(modelyard.Unauthorized) as raised:
        client.predict("guarded", [site.demo.cancer_record])
    assert raised.value.status == 401
    assert raised.value.message == (
        "this route needs a bearer token of role predict or admin: send "
        f"'Authorization: Bearer <token>'; {HOW_PREDICT}"
    )


def test_an_unknown_token_is_unauthorized(site: Site) -> None:
    error = failure(site.url, lambda c: c.feedback("guarded", "x", label=1), token="my_unknown")
    assert type(error) is modelyard.Unauthorized
    assert error.message == f"the bearer token is unknown or revoked; {HOW_PREDICT}"


def test_a_token_of_the_wrong_role_is_forbidden(site: Site) -> None:
    # No client method calls an admin route: the server's real 403 is read as the client does.
    response = httpx.post(
        f"{site.url}/admin/reload", headers={"authorization": f"Bearer {site.predict_token}"}
    )
    error = from_response(response)
    assert type(error) is modelyard.Forbidden
    assert error.status == 403
    assert error.message == (
        "this route needs a token of role admin, not predict; "
        "create one with `modelyard token create NAME --role admin`"
    )
    assert error.request_id == response.headers["x-request-id"]


def test_another_method_is_bad_request_405(site: Site) -> None:
    # Every client method uses the method its route takes: the server's real 405 is read.
    response = httpx.get(f"{site.url}/endpoints/breast-cancer/predict")
    error = from_response(response)
    assert type(error) is modelyard.BadRequest
    assert error.status == 405
    assert error.message == "method not allowed; this path takes POST"


def test_an_unknown_endpoint_is_not_found_listing_the_endpoints(client: Client) -> None:
    with pytest.raises(modelyard.NotFound) as raised:
        client.predict("no-such-endpoint", [[1.0]])
    assert raised.value.status == 404
    assert raised.value.message == f"no endpoint of that name; endpoints: {ENDPOINTS}"


def test_an_unknown_model_or_version_is_not_found(client: Client) -> None:
    with pytest.raises(modelyard.NotFound) as model:
        client.infer("no-such-model", {"input": [[1.0]]})
    assert model.value.message == f"no endpoint of that name; endpoints: {ENDPOINTS}"
    with pytest.raises(modelyard.NotFound) as version:
        client.infer("breast-cancer", {"input": [[1.0]]}, version=7)
    assert version.value.message == "endpoint 'breast-cancer' serves version 1 only"


def test_feedback_for_an_unknown_request_is_not_found(client: Client) -> None:
    with pytest.raises(modelyard.NotFound) as raised:
        client.feedback("ab", "never-answered", reward=1.0)
    assert raised.value.message.startswith(
        "request id 'never-answered' is unknown to endpoint 'ab': not answered within its "
        "feedback window"
    )


def test_a_second_reward_is_a_conflict(client: Client, site: Site) -> None:
    answer = client.predict("ab", [site.demo.cancer_record], request_id="client-409")
    client.feedback("ab", answer.request_id, reward=1.0)
    with pytest.raises(modelyard.Conflict) as raised:
        client.feedback("ab", answer.request_id, reward=0.0)
    assert raised.value.status == 409
    assert "client-409" in raised.value.message


def test_too_many_instances_is_too_large(client: Client, site: Site) -> None:
    with pytest.raises(modelyard.TooLarge) as raised:
        client.predict("tight", [site.demo.cancer_record] * 3)
    assert raised.value.status == 413
    assert raised.value.message == "request has 3 instances, over the limit of 2"


def test_a_body_over_the_limit_is_too_large(client: Client) -> None:
    with pytest.raises(modelyard.TooLarge) as raised:
        client.predict("tight", [[1.0] * 2000])
    assert raised.value.message.endswith("bytes is over the limit of 4096 bytes")


def test_a_runner_failure_is_unavailable_once_the_retries_are_spent(
    proxy: FlakyProxy, site: Site
) -> None:
    record = site.demo.cancer_record
    error = failure(proxy.url, lambda c: c.predict("dead-runner", [record], request_id="c-503"))
    assert type(error) is modelyard.Unavailable
    assert error.status == 503
    assert error.message == (
        "endpoint 'dead-runner' failed to run the model; see the server log for request id c-503"
    )
    assert error.request_id == "c-503"
    assert isinstance(error, modelyard.ServerError)
    assert len(proxy.seen) == FAST_RETRY.attempts
    assert {seen.body for seen in proxy.seen} == {proxy.seen[0].body}  # the same request


def test_a_runner_that_never_answers_is_a_server_timeout_not_retried(
    proxy: FlakyProxy, site: Site
) -> None:
    error = failure(proxy.url, lambda c: c.predict("stuck-runner", [site.demo.cancer_record]))
    assert type(error) is modelyard.ServerTimeout
    assert error.status == 504
    assert error.message == "endpoint 'stuck-runner' did not answer in time"
    assert isinstance(error, modelyard.Timeout) and isinstance(error, modelyard.ServerError)
    assert len(proxy.seen) == 1


def test_no_answer_within_the_client_timeout_is_a_timeout_not_retried(
    proxy: FlakyProxy, site: Site
) -> None:
    record = site.demo.cancer_record
    call: Callable[[Client], object] = lambda c: c.predict("stuck-runner", [record])  # noqa: E731
    error = failure(proxy.url, call, timeout=SERVER_TIMEOUT_S / 4)
    assert type(error) is modelyard.Timeout
    assert error.status is None
    assert error.message == (
        f"no answer from {proxy.url}/endpoints/stuck-runner/predict within the timeout"
    )
    assert len(proxy.seen) == 1


def test_a_refused_request_is_never_retried(proxy: FlakyProxy) -> None:
    error = failure(proxy.url, lambda c: c.predict("no-such-endpoint", [[1.0]]))
    assert type(error) is modelyard.NotFound
    assert len(proxy.seen) == 1


def test_no_server_is_connection_failed_after_the_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    error = failure(url, lambda c: c.health())
    assert type(error) is modelyard.ConnectionFailed
    assert error.status is None
    assert error.message.startswith(f"could not reach {url}/v2/health/ready: ")
    assert isinstance(error.__cause__, httpx.ConnectError)


def test_an_answer_that_is_not_modelyard_s_is_a_client_error(site: Site) -> None:
    with FlakyProxy(site.url, ["garbage"]).bind().open() as proxy:
        error = failure(proxy.url, lambda c: c.health())
    assert type(error) is ClientError
    assert error.status == 200
    assert error.message.startswith(
        f"the answer from {proxy.url}/v2/health/ready is not what a modelyard server sends"
    )


def test_an_error_page_without_a_document_keeps_its_status_and_reason(site: Site) -> None:
    with FlakyProxy(site.url, ["502"]).bind().open() as proxy:
        error = failure(proxy.url, lambda c: c.endpoints())
    assert type(error) is modelyard.ServerError
    assert error.status == 502
    assert error.message == "Bad Gateway"
    assert error.request_id is None
