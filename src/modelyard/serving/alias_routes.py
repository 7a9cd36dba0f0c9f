"""``POST /admin/models/{name}/aliases/{alias}/rollback`` (admin token): undo an alias's latest
move, through :meth:`Registry.rollback`, the call ``modelyard rollback`` makes.

The body is optional: ``{"reason": "..."}`` (default ``rollback``). The move is recorded with
the bearer token's name as who did it. Every caller gets the recorded move as JSON (the
dashboard then fetches the model's aliases section from its own ``/ui`` route).
The body is read here rather than by FastAPI, so the server and ``modelyard ui`` answer a bad
one alike (400/422 with the standard ``{"error": ...}``), without the server's own handlers.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelyard.core.errors import ConflictError, NotFoundError
from modelyard.pipeline.encoders.payload import pointer
from modelyard.registry import AliasEvent, Registry
from modelyard.serving import auth
from modelyard.serving.errors import HttpError, malformed_json
from modelyard.serving.openapi import error_response
from modelyard.serving.rollout_routes import error_answer, token_name


class RollbackBody(BaseModel):
    """Why the alias is moved back (kept in its history)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="rollback", min_length=1, max_length=1000)


class AliasMove(BaseModel):
    """One recorded alias move, as the alias history keeps it."""

    id: int
    name: str
    alias: str
    from_version: int | None = Field(description="null when the move created the alias")
    to_version: int | None = Field(description="null when the move deleted the alias")
    actor: str = Field(description="who moved it: a login name, or an admin token's name")
    reason: str
    at: datetime
    forced: bool = Field(description="moved past failing promotion gates")
    rollback_of: int | None = Field(description="the id of the move this one undid")


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the recorded move"},
    400: error_response("the body is not JSON"),
    404: error_response("no model of that name, or no alias of that name on it"),
    409: error_response(
        "nothing to roll back to: the alias pointed nowhere before, or every "
        "earlier move is already rolled back"
    ),
    422: error_response("the body is not {reason?}: a reason of 1 to 1000 characters"),
}
_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": RollbackBody.model_json_schema()}},
    }
}


def _reason(raw: bytes) -> str:
    """The body's reason (the default without a body), or the 400/422 naming what is wrong."""
    if not raw.strip():
        return RollbackBody().reason
    try:
        return RollbackBody.model_validate(orjson.loads(raw)).reason
    except orjson.JSONDecodeError as error:
        raise malformed_json(error) from None
    except ValidationError as error:
        first = error.errors()[0]
        where = pointer(*first["loc"]) or "/"
        raise HttpError(
            422, f'{where}: {first["msg"]}; expected {{"reason": "why"}} or no body'
        ) from None


def _event(event: AliasEvent) -> dict[str, Any]:
    return AliasMove.model_validate(event, from_attributes=True).model_dump(mode="json")


def add_alias_routes(admin: APIRouter, registry: Registry, tokens: auth.TokenCache) -> None:
    """Add the rollback route to the ``admin`` router (its token check comes with it)."""

    @admin.post(
        "/admin/models/{name}/aliases/{alias}/rollback", tags=["registry"],
        summary="Move an alias back to where it pointed before its latest move",
        response_model=AliasMove, responses=RESPONSES, openapi_extra=_BODY,
    )  # fmt: skip
    async def rollback(name: str, alias: str, request: Request) -> Any:
        try:
            reason = _reason(await request.body())
            event = await asyncio.to_thread(
                registry.rollback, name, alias, reason=reason, actor=token_name(tokens, request)
            )
        except HttpError as error:
            return error_answer(error, request)
        except NotFoundError as error:
            refused = await asyncio.to_thread(_not_found, registry, name, alias, error)
            return error_answer(refused, request)
        except ConflictError as error:
            return error_answer(HttpError(409, str(error)), request)
        return Response(orjson.dumps(_event(event)), media_type="application/json")


def _not_found(registry: Registry, name: str, alias: str, error: NotFoundError) -> HttpError:
    """404 naming the models, or the model's aliases, when one of them is unknown (never
    repeating what was asked for); 409 when the alias is known but the version it would
    return to is gone (deleted)."""
    models = [summary.name for summary in registry.list_models()]
    if name not in models:
        return HttpError(404, f"no model of that name; models: {', '.join(models) or '(none)'}")
    if alias not in {event.alias for event in registry.alias_history(name)}:
        aliases = ", ".join(sorted(registry.aliases(name))) or "(none)"
        return HttpError(404, f"{name} has no alias of that name; aliases: {aliases}")
    return HttpError(409, f"cannot roll back {name}@{alias}: {error}")
