"""Jinja2 rendering for the dashboard's pages, with the headers every page carries."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

STATIC = "/ui/static"
ASSETS = files("modelyard.ui") / "static"

POLICY = {
    # Every script, style and image comes from this server; no inline script runs (htmx and
    # the page's own code are files), so an injected <script> would not either.
    "content-security-policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
    "cache-control": "no-store",
}
"""The headers of every page and fragment: the dashboard names no other host."""

ENVIRONMENT = Environment(
    loader=PackageLoader("modelyard.ui", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.globals["static"] = STATIC


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """``template`` rendered with ``values`` (and the request, for the navigation's active
    section), as an HTML answer with the dashboard's headers."""
    page = ENVIRONMENT.get_template(template).render(request=request, **values)
    return HTMLResponse(page, status_code=status, headers=POLICY)
