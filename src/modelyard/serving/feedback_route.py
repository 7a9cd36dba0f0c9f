"""``POST /endpoints/{id}/feedback``: a reward in [0, 1] or the true label of a request.

A request id is accepted when the endpoint answered it within its ``feedback_window`` (this
replica's memory, else the rollout's rows in the registry): a rollout then credits the reward
(or the share of right labels) to the variant that answered, once per request. A label is also
accepted, however late, when the endpoint's prediction log holds the request: labels arrive
days after the answer, long after any rollout stopped counting, and live performance joins
them with the log (:mod:`modelyard.monitoring.performance`). Every label is kept in the
registry (one per instance; a later one replaces it); only credited ones touch the rollout.
Needs the ``predict`` role when the endpoint's predict routes do.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from modelyard.core.errors import ConflictError
from modelyard.pipeline.encoders.payload import pointer
from modelyard.registry import Registry
from modelyard.registry.labels import Label
from modelyard.serving import auth
from modelyard.serving.errors import HttpError, malformed_json, too_large, unknown_endpoint
from modelyard.serving.openapi import error_response
from modelyard.serving.rollout_routes import check_predict_role, error_answer, token_name
from modelyard.serving.rollouts import RolloutSync, rollout_digest
from modelyard.serving.served import ServedEndpoint

if TYPE_CHECKING:
    from modelyard.monitoring.store import LogStore

MAX_FEEDBACK_ITEMS = 10_000
MAX_FEEDBACK_BYTES = 4 * 1024 * 1024

FEEDBACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_response("the body is not JSON"),
    401: error_response("the endpoint needs a bearer token and none (or an unknown one) came"),
    403: error_response("the token's role may not call this endpoint"),
    404: error_response(
        "no endpoint of that name, or a request id it neither answered within its feedback "
        "window nor logged"
    ),
    409: error_response("a reward for that request id was already credited to its rollout"),
    413: error_response(f"the body is over {MAX_FEEDBACK_BYTES} bytes"),
    422: error_response(
        "the body is not feedback: reward in [0, 1], or labels (one of the model's classes, "
        "a number for a model without classes), one per instance"
    ),
}


class Feedback(BaseModel):
    """One request's outcome: a ``reward`` in [0, 1], or the true ``label`` (one per
    instance: a list when the request had several; a number for a regression)."""

    model_config = ConfigDict(extra="forbid")
    request_id: str = Field(min_length=1, max_length=128)
    reward: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    label: str | int | float | list[str | int | float] | None = None

    def truths(self) -> list[str]:
        """The labels as text, one per instance."""
        labels = self.label if isinstance(self.label, list) else [self.label]
        return [str(label) for label in labels]


_REQUEST_ID = {"type": "string", "minLength": 1, "maxLength": 128}
_LABEL = {"anyOf": [{"type": "string"}, {"type": "number"}]}
_FEEDBACK_ITEM = {
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["request_id", "reward"],
            "properties": {
                "request_id": _REQUEST_ID,
                "reward": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["request_id", "label"],
            "properties": {
                "request_id": _REQUEST_ID,
                "label": {"anyOf": [_LABEL, {"type": "array", "items": _LABEL, "minItems": 1}]},
            },
        },
    ]
}
FEEDBACK_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    _FEEDBACK_ITEM,
                    {
                        "type": "array",
                        "items": _FEEDBACK_ITEM,
                        "minItems": 1,
                        "maxItems": MAX_FEEDBACK_ITEMS,
                    },
                ]
            }
        }
    },
}
"""``POST /endpoints/{id}/feedback``'s body as OpenAPI says it: one object or a list."""

_ONE_FEEDBACK = TypeAdapter(Feedback)


def parse_feedback(body: bytes) -> list[Feedback]:
    """The feedback objects of a request body; 400 for non-JSON, 422 naming the field."""
    if len(body) > MAX_FEEDBACK_BYTES:
        raise too_large(len(body), MAX_FEEDBACK_BYTES)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise malformed_json(error) from None
    listed = isinstance(document, list)
    documents = document if listed else [document]
    if not 1 <= len(documents) <= MAX_FEEDBACK_ITEMS:
        raise HttpError(422, f"send one feedback object, or a list of 1 to {MAX_FEEDBACK_ITEMS}")
    items = []
    for i, item in enumerate(documents):
        where = f"/{i}" if listed else ""
        try:
            parsed = _ONE_FEEDBACK.validate_python(item)
        except ValidationError as error:
            first = error.errors()[0]
            place = where + pointer(*first["loc"])
            raise HttpError(422, f"{place or '/'}: {first['msg']}") from None
        if (parsed.reward is None) == (parsed.label is None):
            raise HttpError(
                422, f"{where or '/'}: send exactly one of reward (a number in [0, 1]) or label"
            )
        items.append(parsed)
    return items


class Answer(NamedTuple):
    """Which arm answered a request within the feedback window, with the labels it gave."""

    arm: str
    labels: list[Any] | None


class Accepted(NamedTuple):
    """One feedback's consequences: the rollout credit (if any), the labels to keep."""

    credit: tuple[str, str, float, str | None] | None
    labels: list[Label]


class FeedbackTaker:
    """Judges each feedback object against what the endpoint answered and logged."""

    def __init__(self, rollouts: RolloutSync, registry: Registry) -> None:
        self.rollouts = rollouts
        self.registry = registry
        self._logs: dict[str, LogStore] = {}

    def _log(self, endpoint: ServedEndpoint) -> LogStore | None:
        """The endpoint's prediction log, opened once; ``None`` when it keeps none."""
        logging = endpoint.spec.logging
        if logging is None or not logging.enabled:
            return None
        if logging.store not in self._logs:
            from modelyard.monitoring.store import open_store

            self._logs[logging.store] = open_store(logging.store, self.registry)
        return self._logs[logging.store]

    async def answered(self, endpoint: ServedEndpoint, request_id: str) -> Answer | None:
        """The arm that answered ``request_id`` within the feedback window, else ``None``."""
        window = endpoint.feedback_window_s
        found = endpoint.ledger.find(request_id, window)
        if found is not None:
            return Answer(found.arm, found.labels)
        if endpoint.traffic.strategy == "single":
            return None  # only rollouts keep their answers in the database
        stored = await asyncio.to_thread(self.rollouts.store.find_request, endpoint.id, request_id)
        if stored is None or datetime.now(UTC) - stored[2] > timedelta(seconds=window):
            return None
        return Answer(stored[0], stored[1])

    async def logged(self, endpoint: ServedEndpoint, request_id: str) -> bool:
        """Whether the endpoint's prediction log holds ``request_id``."""
        log = self._log(endpoint)
        if log is None:
            return False
        return await asyncio.to_thread(log.has_request, endpoint.id, request_id)

    async def accept(self, endpoint: ServedEndpoint, item: Feedback) -> Accepted:
        """What ``item`` credits and keeps, or the error that refuses it."""
        answer = await self.answered(endpoint, item.request_id)
        if answer is None:
            if item.label is None or not await self.logged(endpoint, item.request_id):
                raise _unknown(endpoint, item)
            truths = item.truths()
            _check_labels(_classes(endpoint, None), truths)
            return Accepted(None, _labels(item.request_id, truths))
        rollout = endpoint.traffic.strategy != "single"
        if item.reward is not None:
            if not rollout:
                raise HttpError(
                    422,
                    f"endpoint {endpoint.id!r} runs no rollout to credit a reward to: send "
                    "the request's label instead",
                )
            return Accepted((item.request_id, answer.arm, item.reward, None), [])
        truths = item.truths()
        classes = _classes(endpoint, answer.arm)
        _check_labels(classes, truths)
        if answer.labels is not None and len(truths) != len(answer.labels):
            raise HttpError(
                422,
                f"request {item.request_id!r} had {len(answer.labels)} instances: send one "
                "label per instance (a list when more than one)",
            )
        credit = None
        if rollout:
            if not classes or answer.labels is None:
                raise HttpError(
                    422,
                    f"no predicted labels are kept for request {item.request_id!r} (a model "
                    "without labels, or a V2 answer of raw tensors): send a reward instead",
                )
            right = sum(
                classes[truth] == str(label)
                for truth, label in zip(truths, answer.labels, strict=True)
            )
            credit = (item.request_id, answer.arm, right / len(truths), str(item.label))
        return Accepted(credit, _labels(item.request_id, truths))


def _unknown(endpoint: ServedEndpoint, item: Feedback) -> HttpError:
    where = "nor in its prediction log" if item.label is not None else "(a reward needs that)"
    return HttpError(
        404,
        f"request id {item.request_id!r} is unknown to endpoint {endpoint.id!r}: not answered "
        f"within its feedback window ({endpoint.feedback_window_s:g} s) {where}",
    )


def _classes(endpoint: ServedEndpoint, arm: str | None) -> dict[str, str]:
    """Each label ``arm`` accepts (a class name, or its raw label where a ``label_map``
    renamed it) and the class it means; every variant's without an arm; empty when a
    variant has no classes (a regression)."""
    names = [arm] if arm is not None else [variant.name for variant in endpoint.variants]
    known: dict[str, str] = {}
    for name in names:
        try:
            pipeline = endpoint.arm(name).pipeline
        except KeyError:
            return {}
        named = pipeline.output_context.classes
        if not named:
            return {}
        raw = pipeline.context.classes or named
        known |= {str(r): str(n) for r, n in zip(raw, named, strict=True)}
        known |= {str(n): str(n) for n in named}
    return known


def _check_labels(classes: dict[str, str], truths: list[str]) -> None:
    """A classifier's labels are among its classes; a regression's are numbers."""
    if classes:
        unknown = [truth for truth in truths if truth not in classes]
        if unknown:
            raise HttpError(
                422,
                f"label {unknown[0]!r} is not one of the model's classes: "
                f"{', '.join(sorted(classes))}",
            )
        return
    for truth in truths:
        try:
            number = float(truth)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise HttpError(422, "a model without classes takes numeric labels (the true value)")


def _labels(request_id: str, truths: list[str]) -> list[Label]:
    return [Label(request_id, instance, truth) for instance, truth in enumerate(truths)]


def add_feedback_route(
    api: FastAPI,
    current: dict[str, ServedEndpoint],
    rollouts: RolloutSync,
    tokens: auth.TokenCache,
    registry: Registry,
) -> None:
    """Add ``POST /endpoints/{id}/feedback`` to ``api``."""
    taker = FeedbackTaker(rollouts, registry)

    @api.post(
        "/endpoints/{endpoint_id}/feedback", tags=["rollouts", "monitoring"],
        summary="Reward or label the answer to a request", responses=FEEDBACK_RESPONSES,
        openapi_extra={"requestBody": FEEDBACK_BODY},
    )  # fmt: skip
    async def feedback(endpoint_id: str, request: Request) -> Any:
        try:
            endpoint = current.get(endpoint_id)
            if endpoint is None:
                raise unknown_endpoint(sorted(current))
            check_predict_role(endpoint, request)
            items = parse_feedback(await _body(request))
            accepted = [await taker.accept(endpoint, item) for item in items]
            actor = token_name(tokens, request)
            credited = [found.credit for found in accepted if found.credit is not None]
            if credited:
                await asyncio.to_thread(
                    rollouts.store.add_feedback,
                    endpoint_id,
                    credited,
                    actor,
                    rollout_digest(endpoint),
                )
            labels = [label for found in accepted for label in found.labels]
            if labels:
                await asyncio.to_thread(registry.labels.add, endpoint_id, labels, actor)
        except auth.AuthError:
            raise
        except HttpError as error:
            return error_answer(error, request)
        except ConflictError as error:
            return error_answer(HttpError(409, str(error)), request)
        return {"accepted": len(items)}


async def _body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it passes :data:`MAX_FEEDBACK_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FEEDBACK_BYTES:
        raise too_large(int(declared), MAX_FEEDBACK_BYTES)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FEEDBACK_BYTES:
            raise too_large(size, MAX_FEEDBACK_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)
