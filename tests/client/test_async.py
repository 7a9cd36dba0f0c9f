"""``AsyncClient`` answers and fails as ``Client`` does, method for method."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np
import pytest
from clientsite import FAST_RETRY, Site
from flaky import FlakyProxy

from modelyard.client import AsyncClient, Client, ClientError, InvalidInput, NotFound

T = TypeVar("T")


def run(url: str, call: Callable[[AsyncClient], Awaitable[T]], **options: Any) -> T:
    """``call`` on a fresh async client of ``url``, in a fresh event loop."""

    async def main() -> T:
        async with AsyncClient(url, retry=FAST_RETRY, **options) as client:
            return await call(client)

    return asyncio.run(main())


def test_every_method_answers_what_the_sync_client_answers(client: Client, site: Site) -> None:
    record = site.demo.cancer_record
    rows = {"input": np.array([list(record.values())], dtype=np.float32)}

    async def calls(aclient: AsyncClient) -> list[Any]:
        predicted = await aclient.predict("breast-cancer", [record])
        return [
            predicted,
            await aclient.predict_image("digits-is-3", site.demo.digit_png),
            await aclient.infer("breast-cancer", rows),
            await aclient.feedback("breast-cancer", predicted.request_id, label=0),
            await aclient.endpoints(),
            await aclient.health(),
        ]

    predicted, image, inferred, receipt, endpoints, health = run(site.url, calls)
    assert predicted.predictions == client.predict("breast-cancer", [record]).predictions
    assert predicted.model == client.predict("breast-cancer", [record]).model
    assert image.predictions == client.predict_image("digits-is-3", site.demo.digit_png).predictions
    expected = client.infer("breast-cancer", rows).outputs
    for name, array in inferred.outputs.items():
        np.testing.assert_array_equal(array, expected[name])
    assert receipt.accepted == 1
    assert endpoints == client.endpoints()
    assert health == client.health()


def test_concurrent_calls_share_one_client(site: Site) -> None:
    record = site.demo.cancer_record

    async def many(aclient: AsyncClient) -> list[str]:
        calls = [aclient.predict("breast-cancer", [record], request_id=f"gather-{i}")
                 for i in range(20)]  # fmt: skip
        return [answer.request_id for answer in await asyncio.gather(*calls)]

    assert run(site.url, many) == [f"gather-{i}" for i in range(20)]


@pytest.mark.parametrize(
    ("endpoint", "instances", "kind"),
    [("no-such-endpoint", [[1.0]], NotFound), ("breast-cancer", [{"x": 1.0}], InvalidInput)],
)
def test_errors_are_the_sync_client_s(
    client: Client, site: Site, endpoint: str, instances: Any, kind: type[ClientError]
) -> None:
    with pytest.raises(kind) as sync_raised:
        client.predict(endpoint, instances)
    with pytest.raises(kind) as async_raised:
        run(site.url, lambda c: c.predict(endpoint, instances))
    assert async_raised.value.message == sync_raised.value.message
    assert async_raised.value.problems == sync_raised.value.problems


def test_retries_are_the_sync_client_s(site: Site) -> None:
    with FlakyProxy(site.url, ["503", "reset"]).bind().open() as proxy:
        answer = run(proxy.url, lambda c: c.predict("breast-cancer", [site.demo.cancer_record]))
    assert answer.model.name == "breast_cancer"
    assert [seen.action for seen in proxy.seen] == ["503", "reset", "forward"]
