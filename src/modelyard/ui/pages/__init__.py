"""The dashboard's pages: one module per section, each adding its routes to the ``/ui`` router.

A page module exposes ``add_routes(router, ui)``; :data:`PAGES` lists them in the order of the
navigation.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from modelyard.ui.context import UiContext
from modelyard.ui.pages import aliases, endpoints, models, monitoring, try_it

AddPage = Callable[[APIRouter, UiContext], None]

PAGES: list[AddPage] = [
    models.add_routes,
    aliases.add_routes,
    endpoints.add_routes,
    monitoring.add_routes,
    try_it.add_routes,
]
