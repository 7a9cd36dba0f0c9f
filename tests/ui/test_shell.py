"""The dashboard's shell: mounted beside the API, its assets served by modelyard itself."""

from __future__ import annotations

import httpx

from serving.servertools import RunningServer


def test_ui_redirects_to_the_models_page(ui_server: RunningServer) -> None:
    answer = httpx.get(ui_server.url + "/ui")
    assert answer.status_code == 307
    assert answer.headers["location"] == "/ui/models"


def test_htmx_and_its_licence_are_served_from_the_package(ui_server: RunningServer) -> None:
    script = httpx.get(ui_server.url + "/ui/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text
    licence = httpx.get(ui_server.url + "/ui/static/htmx.LICENSE.txt")
    assert "Zero-Clause BSD" in licence.text


def test_the_pages_stay_out_of_the_api_description(ui_server: RunningServer) -> None:
    paths = httpx.get(ui_server.url + "/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/ui")]
