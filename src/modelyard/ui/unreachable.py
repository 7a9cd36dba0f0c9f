"""The dashboard's answer while the registry database cannot be reached: a 503 saying so,
never a 500 with a traceback.

Every ``/ui`` route is built with :class:`UiRoute`, so this is handled in one place for all
pages and fragments (a fragment asked for by htmx gets the ``{"error": ...}`` the page shows
in its flash line). The API routes keep the server's own handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from modelyard.registry.database import UNREACHABLE, first_line
from modelyard.ui.templates import POLICY, render

log = logging.getLogger("modelyard.ui")

MESSAGE = "the registry database is unreachable; this page works again once it answers"


def unreachable(request: Request) -> Response:
    """The 503 page (or, for htmx, the error its flash line shows)."""
    if request.headers.get("hx-request") == "true":
        return JSONResponse({"error": MESSAGE}, status_code=503, headers=POLICY)
    return render(request, "unreachable.html", status=503, message=MESSAGE)


class UiRoute(APIRoute):
    """A dashboard route that answers :func:`unreachable` when the registry is down."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except UNREACHABLE as error:
                log.warning("registry unreachable: %s", first_line(error))
                return unreachable(request)

        return guarded
