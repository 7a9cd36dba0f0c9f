"""The rollout routes: status, a person's actions, and feedback.

- ``GET /endpoints/{id}/rollout``: the rollout's status document (what ``modelyard rollout
  status --json`` prints), after this replica's latest counts are written.
- ``POST /admin/rollouts/{id}/{action}`` (pause, resume, abort, promote; admin token): the
  action goes through the same transaction as a tick, recorded with the token's name and
  the reason given.
- ``POST /endpoints/{id}/feedback``: a reward in [0, 1] or a label for a request this
  endpoint answered, credited to the variant that answered it. Needs the ``predict`` role
  when the endpoint's predict routes do.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from modelyard.core.errors import ConflictError
from modelyard.pipeline.encoders.payload import pointer
from modelyard.registry.rollout_types import RolloutState
from modelyard.routing.actions import manual
from modelyard.routing.status import status_document
from modelyard.serving import auth
from modelyard.serving.asgi import RequestHeaders
from modelyard.serving.errors import HttpError, malformed_json, too_large, unknown_endpoint
from modelyard.serving.openapi import error_response
from modelyard.serving.rollouts import RolloutSync, rollout_digest
from modelyard.serving.served import ServedEndpoint

MAX_FEEDBACK_ITEMS = 10_000
MAX_FEEDBACK_BYTES = 4 * 1024 * 1024

_UNKNOWN = error_response("no endpoint of that name (the answer lists them)")
STATUS_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: error_response("the endpoint needs a bearer token and none (or an unknown one) came"),
    403: error_response("the token's role may not call this endpoint"),
    404: _UNKNOWN,
    409: error_response("the rollout was restarted under another configuration"),
}
ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_response("the body is not JSON"),
    404: _UNKNOWN,
    409: error_response(
        "the rollout is in a state this action does not apply to, or was restarted under "
        "another configuration than this server's"
    ),
    422: error_response("the body is not {reason, variant?}"),
}
FEEDBACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_response("the body is not JSON"),
    401: error_response("the endpoint needs a bearer token and none (or an unknown one) came"),
    403: error_response("the token's role may not call this endpoint"),
    404: error_response("no endpoint of that name, or a request id it does not know"),
    409: error_response("feedback for that request id was already given"),
    413: error_response(f"the body is over {MAX_FEEDBACK_BYTES} bytes"),
    422: error_response("the body is not feedback: reward in [0, 1] or one of the labels"),
}


class Action(BaseModel):
    """Why a person moves a rollout (kept in its history), and for ``promote`` which arm."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)
    variant: str | None = Field(default=None, max_length=200)


class Feedback(BaseModel):
    """One request's outcome: a ``reward`` in [0, 1], or the true ``label`` (one per
    instance: a list when the request had several)."""

    model_config = ConfigDict(extra="forbid")
    request_id: str = Field(min_length=1, max_length=128)
    reward: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    label: str | int | list[str | int] | None = None


_REQUEST_ID = {"type": "string", "minLength": 1, "maxLength": 128}
_LABEL = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
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


def add_rollout_routes(
    api: FastAPI,
    admin: APIRouter,
    current: dict[str, ServedEndpoint],
    rollouts: RolloutSync,
    tokens: auth.TokenCache,
) -> None:
    """Add the status and feedback routes to ``api`` and the actions to the ``admin`` router."""

    def served(endpoint_id: str) -> ServedEndpoint:
        found = current.get(endpoint_id)
        if found is None:
            raise unknown_endpoint(sorted(current))
        return found

    async def document(state: RolloutState) -> dict[str, Any]:
        history = await asyncio.to_thread(rollouts.store.history, state.endpoint)
        return status_document(state, history)

    @api.get(
        "/endpoints/{endpoint_id}/rollout", tags=["rollouts"], summary="Rollout status",
        responses=STATUS_RESPONSES,
    )  # fmt: skip
    async def rollout_status(endpoint_id: str, request: Request) -> Any:
        try:
            endpoint = served(endpoint_id)
            _check_predict_role(endpoint, request)
            return await document(await rollouts.tick(endpoint))
        except auth.AuthError:
            raise
        except HttpError as error:
            return _error(error, request)
        except ConflictError as error:  # this replica runs another configuration
            return _error(HttpError(409, str(error)), request)

    @admin.post(
        "/admin/rollouts/{endpoint_id}/{action}", tags=["rollouts"],
        summary="Pause, resume, abort or promote a rollout", responses=ACTION_RESPONSES,
    )  # fmt: skip
    async def rollout_action(
        endpoint_id: str,
        action: Literal["pause", "resume", "abort", "promote"],
        body: Action,
        request: Request,
    ) -> Any:
        actor = _token_name(tokens, request)
        try:
            state = await rollouts.tick(
                served(endpoint_id),
                lambda state: manual(
                    state, action, actor=actor, reason=body.reason, variant=body.variant
                ),
            )
        except HttpError as error:
            return _error(error, request)
        except ConflictError as error:
            return _error(HttpError(409, str(error)), request)
        return await document(state)

    @api.post(
        "/endpoints/{endpoint_id}/feedback", tags=["rollouts"],
        summary="Reward or label the answer to a request", responses=FEEDBACK_RESPONSES,
        openapi_extra={"requestBody": FEEDBACK_BODY},
    )  # fmt: skip
    async def feedback(endpoint_id: str, request: Request) -> Any:
        try:
            endpoint = served(endpoint_id)
            _check_predict_role(endpoint, request)
            items = parse_feedback(await _body(request))
            credited = [await _credit(endpoint, rollouts, item) for item in items]
            actor = _token_name(tokens, request)
            digest = rollout_digest(endpoint)
            await asyncio.to_thread(
                rollouts.store.add_feedback, endpoint_id, credited, actor, digest
            )
        except auth.AuthError:
            raise
        except HttpError as error:
            return _error(error, request)
        except ConflictError as error:
            return _error(HttpError(409, str(error)), request)
        return {"accepted": len(items)}


async def _credit(
    endpoint: ServedEndpoint, rollouts: RolloutSync, item: Feedback
) -> tuple[str, str, float, str | None]:
    """(request id, arm, reward, label) for one feedback object, or the error that refuses it."""
    window = endpoint.feedback_window_s
    found = endpoint.ledger.find(item.request_id, window)
    if found is not None:
        arm, labels = found.arm, found.labels
    else:
        stored = await asyncio.to_thread(rollouts.store.find_request, endpoint.id, item.request_id)
        if stored is None or datetime.now(UTC) - stored[2] > timedelta(seconds=window):
            raise HttpError(
                404,
                f"request id {item.request_id!r} is unknown to endpoint {endpoint.id!r}, or "
                f"older than its feedback window ({window:g} s)",
            )
        arm, labels, _ = stored
    if item.reward is not None:
        return item.request_id, arm, item.reward, None
    return item.request_id, arm, _label_reward(endpoint, arm, labels, item), str(item.label)


def _label_reward(
    endpoint: ServedEndpoint, arm: str, labels: list[Any] | None, item: Feedback
) -> float:
    """The share of the request's instances whose predicted label is the true one."""
    try:
        classes = endpoint.arm(arm).pipeline.output_context.classes
    except KeyError:
        classes = None
    if not classes or labels is None:
        raise HttpError(
            422,
            f"no predicted labels are kept for request {item.request_id!r} (a model without "
            "labels, or a V2 answer of raw tensors): send a reward instead",
        )
    truths = item.label if isinstance(item.label, list) else [item.label]
    if len(truths) != len(labels):
        raise HttpError(
            422,
            f"request {item.request_id!r} had {len(labels)} instances: send one label per "
            "instance (a list when more than one)",
        )
    known = {str(name) for name in classes}
    unknown = [str(truth) for truth in truths if str(truth) not in known]
    if unknown:
        raise HttpError(
            422,
            f"label {unknown[0]!r} is not one of the model's classes: {', '.join(sorted(known))}",
        )
    right = sum(str(truth) == str(label) for truth, label in zip(truths, labels, strict=True))
    return right / len(truths)


def _check_predict_role(endpoint: ServedEndpoint, request: Request) -> None:
    """Refuse (401/403) what the endpoint's predict routes would refuse: its feedback and
    its rollout's figures are for those who may call it."""
    if endpoint.guard is not None:
        refused = endpoint.guard.check(request.headers.get("authorization", "").encode() or None)
        if refused is not None:
            raise refused


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


def _token_name(tokens: auth.TokenCache, request: Request) -> str:
    """Who acts: the bearer token's name, or ``anonymous`` on open routes."""
    token = auth.bearer_token(request.headers.get("authorization", "").encode() or None)
    found = tokens.find(token) if token is not None else None
    return found.name if found is not None else "anonymous"


def _error(error: HttpError, request: Request) -> Response:
    """``error`` as every route answers one: its JSON document and the request id."""
    request_id = RequestHeaders(request.scope).request_id
    assert request_id is not None
    return Response(
        error.body(request_id),
        error.status,
        {"x-request-id": request_id},
        media_type="application/json",
    )
