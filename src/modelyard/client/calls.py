"""Every call the client makes, defined once: the request it sends and how it reads the answer.

A call is data (:class:`Call`); :class:`~modelyard.client.sync.Client` sends it and waits,
:class:`~modelyard.client.async_.AsyncClient` awaits it. The functions here are the client's
methods (:class:`Method` binds them), so their signatures and docstrings are what users see.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload
from urllib.parse import quote

import httpx

from modelyard.client import answers, encode

if TYPE_CHECKING:
    from modelyard.client.async_ import AsyncClient
    from modelyard.client.sync import Client

T = TypeVar("T")
P = ParamSpec("P")

_JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the reader of its successful answer."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    idempotent: bool = True
    """Whether sending it twice does no more than sending it once: only such a call is sent
    again after a connection broke (the server may have acted on the first)."""


def _segment(name: str) -> str:
    """A name as one path segment: a ``/`` or ``?`` in it cannot reach another route."""
    return quote(name, safe="")


def _ids(request_id: str | None) -> dict[str, str]:
    return {} if request_id is None else {"x-request-id": request_id}


def predict(
    endpoint: str, instances: Any, *, request_id: str | None = None
) -> Call[answers.Prediction]:
    """Predictions of ``endpoint`` for ``instances``: records (a list of dicts), rows (a
    list of lists, in signature order), a pandas DataFrame or a 2-D numpy array.

    ``request_id`` names the request (``x-request-id``) for feedback and logs; by default
    the server gives one, which the answer carries.
    """
    return Call(
        "POST",
        f"/endpoints/{_segment(endpoint)}/predict",
        answers.prediction,
        encode.instances(instances),
        {**_JSON, **_ids(request_id)},
    )


def predict_image(
    endpoint: str, path_or_bytes: str | os.PathLike[str] | bytes, *, request_id: str | None = None
) -> Call[answers.Prediction]:
    """The prediction of an image endpoint for one image: a file's path, or its bytes."""
    return Call(
        "POST",
        f"/endpoints/{_segment(endpoint)}/predict",
        answers.prediction,
        encode.image(path_or_bytes),
        {"content-type": "application/octet-stream", **_ids(request_id)},
    )


def infer(
    model: str,
    inputs: Any,
    *,
    version: str | int | None = None,
    outputs: list[str] | None = None,
    request_id: str | None = None,
) -> Call[answers.Inference]:
    """The raw output tensors of ``model`` (an endpoint id) on the Open Inference Protocol.

    ``inputs`` maps each input name to an array (or a list), or is a list of V2 input
    documents (``{"name", "shape", "datatype", "data"}``); the answer's outputs are numpy
    arrays. ``version`` asks one of the versions the endpoint serves; ``outputs`` names the
    outputs wanted (all by default).
    """
    path = f"/v2/models/{_segment(model)}"
    if version is not None:
        path += f"/versions/{_segment(str(version))}"
    return Call(
        "POST",
        f"{path}/infer",
        answers.inference,
        encode.inference_request(inputs, outputs),
        {**_JSON, **_ids(request_id)},
    )


def feedback(
    endpoint: str,
    request_id: str,
    *,
    reward: float | None = None,
    label: str | int | float | list[str | int | float] | None = None,
) -> Call[answers.FeedbackReceipt]:
    """Tell ``endpoint`` how its answer to ``request_id`` turned out: a ``reward`` in [0, 1]
    (credited to the rollout arm that answered) or the true ``label`` (one per instance).

    Never sent twice after a broken connection: a second reward would be refused (409).
    """
    document: dict[str, Any] = {"request_id": request_id}
    if reward is not None:
        document["reward"] = reward
    if label is not None:
        document["label"] = label
    return Call(
        "POST",
        f"/endpoints/{_segment(endpoint)}/feedback",
        answers.feedback,
        encode.dumps(document),
        _JSON,
        idempotent=False,
    )


def endpoints() -> Call[list[answers.EndpointInfo]]:
    """Every endpoint the server serves, with the model version of each of its arms."""
    return Call("GET", "/endpoints", answers.endpoints)


def health() -> Call[answers.Health]:
    """Whether the server is ready (its endpoints loaded); raises
    :class:`~modelyard.client.errors.ConnectionFailed` when nothing answers."""
    return Call("GET", "/v2/health/ready", answers.health)


class Method(Generic[P, T]):
    """A call made a method of both clients: ``Client`` returns its answer, ``AsyncClient``
    an awaitable of it. So each method is written once, with its one docstring."""

    def __init__(self, make: Callable[P, Call[T]]) -> None:
        self.make = make

    @overload
    def __get__(self, client: None, owner: type) -> Method[P, T]: ...
    @overload
    def __get__(self, client: Client, owner: type) -> Callable[P, T]: ...
    @overload
    def __get__(self, client: AsyncClient, owner: type) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, client: Any, owner: type) -> Any:
        if client is None:
            return self
        make = self.make

        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            return client._run(make(*args, **kwargs))

        return update_wrapper(bound, make)
