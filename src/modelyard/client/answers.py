"""What each call returns: frozen dataclasses read from the server's answers.

Besides the body, an answer carries what the server says in its headers: the request id
(``x-request-id``, to send feedback or find a log line by), the variant of a rollout that
answered (``x-variant``) and the time each stage took (``Server-Timing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import orjson

from modelyard.client.encode import output_array


@dataclass(frozen=True)
class ModelRef:
    """The registered model version that answered."""

    name: str
    version: str


@dataclass(frozen=True)
class Timings:
    """The server's time per stage of one request, from its ``Server-Timing`` header."""

    stages: Mapping[str, float]
    """Milliseconds per stage, in the server's order: decode, validate, queue, infer,
    postprocess, encode."""
    batch_rows: int | None = None
    """Rows in the micro-batch the request rode in (requests batched together)."""
    batch_requests: int | None = None

    @property
    def total_ms(self) -> float:
        """The sum of the stages: the server's time on the request."""
        return sum(self.stages.values())


@dataclass(frozen=True)
class Prediction:
    """An endpoint's answer to ``predict`` or ``predict_image``."""

    predictions: list[Any]
    """One per instance, as the endpoint's formatter gives them (e.g. label and
    probabilities)."""
    model: ModelRef
    request_id: str
    timings: Timings
    variant: str | None = None
    """The arm of the endpoint's rollout that answered (``None`` if the server does not
    say)."""


@dataclass(frozen=True)
class Inference:
    """A model's answer to ``infer`` (the Open Inference Protocol): its raw output tensors."""

    outputs: Mapping[str, np.ndarray]
    model: ModelRef
    request_id: str
    timings: Timings
    id: str | None = None
    """The id the request document carried (the request id when it carried none)."""


@dataclass(frozen=True)
class VariantInfo:
    """One arm of an endpoint's traffic: its name, the reference it was declared with and
    the version that reference resolved to."""

    name: str
    reference: str
    model: ModelRef


@dataclass(frozen=True)
class EndpointInfo:
    """One served endpoint, as ``endpoints()`` lists it."""

    id: str
    model: ModelRef
    reference: str
    """What the endpoints file declares (``breast_cancer@production``)."""
    strategy: str
    """``single``, or the rollout's (``canary``, ``ab``, ``bandit``...)."""
    variants: tuple[VariantInfo, ...]
    shadows: tuple[VariantInfo, ...]


@dataclass(frozen=True)
class Health:
    """Whether the server answers and has its endpoints loaded."""

    ready: bool


@dataclass(frozen=True)
class FeedbackReceipt:
    """How many feedback objects the server accepted."""

    accepted: int


def timings(header: str | None) -> Timings:
    """``decode;dur=0.012, ..., batch;desc="rows=18 requests=18"`` as :class:`Timings`."""
    stages: dict[str, float] = {}
    batch: dict[str, int] = {}
    for entry in (header or "").split(","):
        name, _, params = entry.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur":
                stages[name] = float(value)
            elif key == "desc" and name == "batch":
                for pair in value.strip('"').split():
                    count_name, _, count = pair.partition("=")
                    if count.isdigit():
                        batch[count_name] = int(count)
    return Timings(stages, batch.get("rows"), batch.get("requests"))


def _model(document: Mapping[str, Any]) -> ModelRef:
    return ModelRef(str(document["name"]), str(document["version"]))


def prediction(response: httpx.Response) -> Prediction:
    """The native route's ``{"predictions", "model", "request_id"}``."""
    document = orjson.loads(response.content)
    return Prediction(
        predictions=document["predictions"],
        model=_model(document["model"]),
        request_id=response.headers.get("x-request-id") or document["request_id"],
        timings=timings(response.headers.get("server-timing")),
        variant=response.headers.get("x-variant"),
    )


def inference(response: httpx.Response) -> Inference:
    """A V2 inference response; each output's data becomes an array of its datatype and
    shape."""
    document = orjson.loads(response.content)
    outputs = {item["name"]: output_array(item) for item in document["outputs"]}
    return Inference(
        outputs=outputs,
        model=ModelRef(str(document["model_name"]), str(document.get("model_version", ""))),
        request_id=response.headers.get("x-request-id") or str(document.get("id", "")),
        timings=timings(response.headers.get("server-timing")),
        id=document.get("id"),
    )


def _variants(listed: list[dict[str, Any]]) -> tuple[VariantInfo, ...]:
    return tuple(VariantInfo(v["name"], v["reference"], _model(v["model"])) for v in listed)


def endpoints(response: httpx.Response) -> list[EndpointInfo]:
    """``GET /endpoints``: every served endpoint with its versions."""
    return [
        EndpointInfo(
            id=item["id"],
            model=_model(item["model"]),
            reference=item["reference"],
            strategy=item["strategy"],
            variants=_variants(item.get("variants", [])),
            shadows=_variants(item.get("shadows", [])),
        )
        for item in orjson.loads(response.content)["endpoints"]
    ]


def health(response: httpx.Response) -> Health:
    """``GET /v2/health/ready``."""
    return Health(ready=bool(orjson.loads(response.content)["ready"]))


def feedback(response: httpx.Response) -> FeedbackReceipt:
    """``POST /endpoints/{id}/feedback``'s ``{"accepted": n}``."""
    return FeedbackReceipt(accepted=int(orjson.loads(response.content)["accepted"]))
