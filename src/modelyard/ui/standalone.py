"""``modelyard ui``: the dashboard alone against a registry, with no endpoints served.

The registry pages work as under a server; the endpoint pages say that no server is attached.
Writes go through the same admin routes as on a server, guarded by the registry's tokens
(re-read every few seconds, so a token created meanwhile works).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import uvicorn
from fastapi import APIRouter, Depends, FastAPI

from modelyard.registry import Registry
from modelyard.serving import auth
from modelyard.serving.alias_routes import add_alias_routes
from modelyard.serving.server import check_port
from modelyard.ui import UiContext, add_ui

TOKEN_REFRESH_S = 5.0


def build_app(registry: Registry) -> FastAPI:
    """The dashboard's pages and the registry's admin routes, as one app."""
    tokens = auth.TokenCache(registry.tokens)
    tokens.load()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def refresh() -> None:
            while True:
                await asyncio.sleep(TOKEN_REFRESH_S)
                await tokens.refresh()

        refresher = asyncio.create_task(refresh())
        try:
            yield
        finally:
            refresher.cancel()

    api = FastAPI(title="modelyard dashboard", lifespan=lifespan, docs_url=None, redoc_url=None)
    api.add_exception_handler(auth.AuthError, auth.refusal_response)
    admin_routes = APIRouter(
        dependencies=[Depends(auth.requirement(auth.Guards(tokens).admin))],
        responses=auth.RESPONSES,
    )
    add_alias_routes(admin_routes, registry, tokens)
    api.include_router(admin_routes)
    add_ui(api, UiContext(registry))
    return api


def run(
    registry: Registry,
    *,
    host: str = "127.0.0.1",
    port: int = 8090,
    announce: Callable[[str], object] = print,
) -> None:
    """Serve the dashboard until interrupted; ``announce`` hears its address once the port
    is known to be free (a busy port is one error line, with no address printed first)."""
    check_port(host, port)
    announce(f"dashboard: http://{host}:{port}/ui  (Ctrl-C to stop)")
    uvicorn.run(build_app(registry), host=host, port=port, log_level="warning")
