"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), working with no internet.

FastAPI's own pages load their JavaScript and CSS from a CDN, so on a machine without internet
they stay blank. The same files ship in the ``fastapi-offline`` wheel (Swagger UI's bundle and
ReDoc's standalone build, with their licences); modelyard serves them itself under
``/static/docs`` and points both pages there, with no web fonts to fetch. A
Content-Security-Policy keeps the pages to this server: ReDoc's bundle still names its logo on
a CDN, which the browser then never asks for.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = "/static/docs"
_ASSETS = files("fastapi_offline") / "static"
# Both pages start their viewer from an inline script; ReDoc runs a worker from a blob URL.
_POLICY = {
    "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:"
}


def add_docs(api: FastAPI) -> None:
    """Mount the assets and the two pages (the app must be built with ``docs_url=None`` and
    ``redoc_url=None``)."""
    api.mount(STATIC, StaticFiles(directory=str(_ASSETS)), name="docs-assets")
    title = api.title
    favicon = f"{STATIC}/favicon.png"
    redirect = "/docs/oauth2-redirect"

    @api.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return _offline(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title=f"{title} - Swagger UI",
                swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
                swagger_css_url=f"{STATIC}/swagger-ui.css",
                swagger_favicon_url=favicon,
                oauth2_redirect_url=redirect,
            )
        )

    @api.get(redirect, include_in_schema=False)
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @api.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _offline(
            get_redoc_html(
                openapi_url="/openapi.json",
                title=f"{title} - ReDoc",
                redoc_js_url=f"{STATIC}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        )


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(_POLICY)
    return page
