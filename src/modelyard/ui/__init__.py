"""The dashboard: server-rendered pages under ``/ui`` for the registry, endpoints, rollouts
and drift, with a try-it form.

Pages are Jinja2 templates; live parts refresh with htmx (vendored, with its licence, in
``static/``); charts are inline SVG drawn on the server by :mod:`modelyard.evaluation.svg`, so
no chart library and no build step. Every asset ships in the package: the dashboard works with
no internet, and a Content-Security-Policy keeps each page to its own server.

The dashboard is mounted on the FastAPI half of the server (never on the predict hot path) by
:func:`add_ui`, and served alone against a registry by ``modelyard ui``
(:mod:`modelyard.ui.standalone`). It reads through the library functions the CLI uses and
writes only through the admin routes, with the token a visitor types in the login box.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from modelyard.ui.context import Live, UiContext
from modelyard.ui.pages import PAGES
from modelyard.ui.templates import ASSETS, STATIC
from modelyard.ui.unreachable import UiRoute

__all__ = ["Live", "UiContext", "add_ui"]


def add_ui(api: FastAPI, ui: UiContext) -> None:
    """Mount the assets and every page of the dashboard on ``api`` (left out of
    ``/openapi.json``: pages are for people, the admin routes they call are documented)."""
    api.mount(STATIC, StaticFiles(directory=str(ASSETS)), name="ui-assets")
    router = APIRouter(prefix="/ui", include_in_schema=False, route_class=UiRoute)

    @router.get("")
    async def home() -> RedirectResponse:
        return RedirectResponse("/ui/models", status_code=307)

    for add_page in PAGES:
        add_page(router, ui)
    api.include_router(router)
