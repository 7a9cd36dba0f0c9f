"""The rollout routes: status and a person's actions.

- ``GET /endpoints/{id}/rollout``: the rollout's status document (what ``modelyard rollout
  status --json`` prints), after this replica's latest counts are written.
- ``POST /admin/rollouts/{id}/{action}`` (pause, resume, abort, promote; admin token): the
  action goes through the same transaction as a tick, recorded with the token's name and
  the reason given.

The feedback route is :mod:`modelyard.serving.feedback_route`; the helpers at the end (the
predict role check, the actor's name, the error answer) serve both.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from modelyard.core.errors import ConflictError
from modelyard.registry.rollout_types import RolloutState
from modelyard.routing.actions import manual
from modelyard.routing.status import status_document
from modelyard.serving import auth
from modelyard.serving.asgi import RequestHeaders
from modelyard.serving.errors import HttpError, unknown_endpoint
from modelyard.serving.openapi import error_response
from modelyard.serving.rollouts import RolloutSync
from modelyard.serving.served import ServedEndpoint

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


class Action(BaseModel):
    """Why a person moves a rollout (kept in its history), and for ``promote`` which arm."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)
    variant: str | None = Field(default=None, max_length=200)


def add_rollout_routes(
    api: FastAPI,
    admin: APIRouter,
    current: dict[str, ServedEndpoint],
    rollouts: RolloutSync,
    tokens: auth.TokenCache,
) -> None:
    """Add the status route to ``api`` and the actions to the ``admin`` router."""

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
            check_predict_role(endpoint, request)
            return await document(await rollouts.tick(endpoint))
        except auth.AuthError:
            raise
        except HttpError as error:
            return error_answer(error, request)
        except ConflictError as error:  # this replica runs another configuration
            return error_answer(HttpError(409, str(error)), request)

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
        actor = token_name(tokens, request)
        try:
            state = await rollouts.tick(
                served(endpoint_id),
                lambda state: manual(
                    state, action, actor=actor, reason=body.reason, variant=body.variant
                ),
            )
        except HttpError as error:
            return error_answer(error, request)
        except ConflictError as error:
            return error_answer(HttpError(409, str(error)), request)
        return await document(state)


def check_predict_role(endpoint: ServedEndpoint, request: Request) -> None:
    """Refuse (401/403) what the endpoint's predict routes would refuse: its feedback and
    its rollout's figures are for those who may call it."""
    if endpoint.guard is not None:
        refused = endpoint.guard.check(request.headers.get("authorization", "").encode() or None)
        if refused is not None:
            raise refused


def token_name(tokens: auth.TokenCache, request: Request) -> str:
    """Who acts: the bearer token's name, or ``anonymous`` on open routes."""
    token = auth.bearer_token(request.headers.get("authorization", "").encode() or None)
    found = tokens.find(token) if token is not None else None
    return found.name if found is not None else "anonymous"


def error_answer(error: HttpError, request: Request) -> Response:
    """``error`` as every route answers one: its JSON document and the request id."""
    request_id = RequestHeaders(request.scope).request_id
    assert request_id is not None
    return Response(
        error.body(request_id),
        error.status,
        {"x-request-id": request_id},
        media_type="application/json",
    )
