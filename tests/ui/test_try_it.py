"""The try-it pages in a real browser: a form made from the model's signature that calls the
real predict route and answers what a plain HTTP client gets, with the server's messages
next to the fields they name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
import yaml
from playwright.sync_api import expect
from registrytools import start_dashboard

from browsertools import screenshot, visit
from modelyard.demo import Demo
from modelyard.registry import Registry
from serving.servertools import RunningServer, new_token, start_server

pytestmark = pytest.mark.slow

CANCER = "breast-cancer"
DIGITS = "digits-is-3"
PREDICT = "#try-form button[type=submit]"
STAGES = ["decode", "validate", "queue", "infer", "postprocess", "encode", "batch"]


def _reference_row(demo: Demo) -> dict[str, Any]:
    """The first row of the served cancer version's reference sample."""
    registry = Registry(demo.registry_url, demo.artifacts, create=False)
    try:
        version = registry.get("breast_cancer@production")
        folder = registry.fetch(version)
        assert version.manifest.reference is not None
        row: dict[str, Any] = pq.read_table(folder / version.manifest.reference.file).to_pylist()[0]
        return row
    finally:
        registry.close()


def refused(status: int, reason: str) -> str:
    """What chromium logs for a request the server refused: the only problem a page that
    provokes a refusal on purpose may show."""
    return (
        "console: Failed to load resource: the server responded with a status of "
        f"{status} ({reason})"
    )


def _training_range(demo: Demo, feature: str) -> tuple[float, float]:
    """A feature's range in the served cancer version's data profile."""
    registry = Registry(demo.registry_url, demo.artifacts, create=False)
    try:
        profile = registry.get("breast_cancer@production").manifest.profile
    finally:
        registry.close()
    assert profile is not None
    (numeric,) = [f.numeric for f in profile.features if f.name == feature]
    assert numeric is not None
    return numeric.min, numeric.max


def _form_record(page: Any) -> dict[str, float]:
    inputs = page.locator("#try-form [data-field]")
    return {
        inputs.nth(i).get_attribute("data-field"): float(inputs.nth(i).input_value())
        for i in range(inputs.count())
    }


def _answer(page: Any) -> dict[str, Any]:
    expect(page.locator("#try-result")).to_be_visible()
    answer: dict[str, Any] = json.loads(page.locator("[data-result-json]").text_content())
    return answer


@pytest.fixture(scope="module")
def guarded(
    ui_demo: Demo, ui_admin_token: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningServer, str]]:
    """The demo's cancer endpoint behind a predict token, and a predict token."""
    home = tmp_path_factory.mktemp("ui-try-guarded")
    token = new_token(ui_demo, "ui-try-predict", "predict")
    endpoints = home / "endpoints.yaml"
    spec = {"id": CANCER, "model": "breast_cancer@production", "auth": {"predict": "required"}}
    endpoints.write_text(yaml.safe_dump({"endpoints": [spec]}))
    running = start_server(ui_demo, endpoints, home)
    yield running, token
    running.stop()


def test_the_list_names_each_endpoint_and_what_it_takes(
    browser: object, ui_server: RunningServer
) -> None:
    with visit(browser, ui_server.url) as seen:
        seen.page.goto("/ui/try")
        cancer = seen.page.locator(f'tr[data-endpoint="{CANCER}"]')
        expect(cancer).to_contain_text("breast_cancer:1")
        expect(cancer).to_contain_text("named features")
        expect(cancer).to_contain_text("not needed")
        expect(seen.page.locator(f'tr[data-endpoint="{DIGITS}"]')).to_contain_text("an image file")
        seen.page.click(f"text={CANCER}")
        expect(seen.page).to_have_url(f"{ui_server.url}/ui/try/{CANCER}")
        assert seen.problems() == []


def test_one_typed_input_per_feature_prefilled_from_the_reference_sample(
    browser: object, ui_server: RunningServer, ui_demo: Demo
) -> None:
    row = _reference_row(ui_demo)
    with visit(browser, ui_server.url) as seen:
        seen.page.goto(f"/ui/try/{CANCER}")
        expect(seen.page.locator("#try-form [data-field]")).to_have_count(30)
        assert _form_record(seen.page) == pytest.approx(row, rel=0, abs=0)
        radius = seen.page.locator('[data-field="mean radius"]')
        expect(radius).to_have_attribute("data-kind", "number")
        expect(radius).to_have_attribute("inputmode", "decimal")
        hint = seen.page.locator("tr", has=radius)
        expect(hint).to_contain_text("number (float64)")
        low, high = _training_range(ui_demo, "mean radius")
        expect(hint).to_contain_text(f"training range {low:.4g} to {high:.4g}")
        assert seen.problems() == []


def test_the_form_answers_what_a_plain_post_answers(
    browser: object, ui_server: RunningServer
) -> None:
    with visit(browser, ui_server.url) as seen:
        seen.page.set_viewport_size({"width": 1280, "height": 900})
        seen.page.goto(f"/ui/try/{CANCER}")
        seen.page.fill('[data-field="mean radius"]', "20.5")
        record = _form_record(seen.page)
        seen.page.click(PREDICT)
        shown = _answer(seen.page)
        plain = httpx.post(
            f"{ui_server.url}/endpoints/{CANCER}/predict", json={"instances": [record]}
        )
        assert plain.status_code == 200
        assert shown["predictions"] == plain.json()["predictions"]
        expect(seen.page.locator("[data-model]")).to_have_text("breast_cancer:1")
        label = shown["predictions"][0]["label"]
        expect(seen.page.locator("[data-predictions] tbody tr td").first).to_have_text(str(label))
        stages = seen.page.locator("[data-timing] tbody tr")
        expect(stages).to_have_count(len(STAGES))
        assert [stages.nth(i).get_attribute("data-stage") for i in range(len(STAGES))] == STAGES
        expect(seen.page.locator('[data-timing] tr[data-stage="batch"]')).to_contain_text(
            "rows=1 requests=1"
        )
        assert seen.problems() == []
        screenshot(seen.page, "try-it.png")


def test_text_in_a_number_field_gets_the_servers_message_next_to_it(
    browser: object, ui_server: RunningServer
) -> None:
    with visit(browser, ui_server.url) as seen:
        seen.page.goto(f"/ui/try/{CANCER}")
        seen.page.fill('[data-field="mean texture"]', "rough")
        seen.page.click(PREDICT)
        beside = seen.page.locator('[data-field-error][data-for="mean texture"]')
        expect(beside).to_have_text("expected number, got string")
        expect(seen.page.locator('[data-field-error][data-for="mean radius"]')).to_have_text("")
        expect(seen.page.locator("#try-form [data-error-text]")).to_be_hidden()
        expect(seen.page.locator("#try-result")).to_be_hidden()
        # a corrected value clears the message and predicts
        seen.page.fill('[data-field="mean texture"]', "19.5")
        seen.page.click(PREDICT)
        _answer(seen.page)
        expect(beside).to_have_text("")
        assert seen.problems() == [refused(422, "Unprocessable Entity")]


def test_the_image_form_predicts_a_digit_file(
    browser: object, ui_server: RunningServer, ui_demo: Demo
) -> None:
    with visit(browser, ui_server.url) as seen:
        seen.page.goto(f"/ui/try/{DIGITS}")
        seen.page.set_input_files("[data-image]", str(ui_demo.digit_png))
        seen.page.click(PREDICT)
        shown = _answer(seen.page)
        plain = httpx.post(
            f"{ui_server.url}/endpoints/{DIGITS}/predict",
            content=Path(ui_demo.digit_png).read_bytes(),
            headers={"content-type": "image/png"},
        )
        assert shown["predictions"] == plain.json()["predictions"]
        assert shown["predictions"][0]["label"] == 1  # the demo's digit is a 3
        expect(seen.page.locator("[data-model]")).to_have_text("digits_is_3:1")
        assert seen.problems() == []


def test_a_file_that_is_no_image_gets_the_servers_message_beside_the_picker(
    browser: object, ui_server: RunningServer, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("not an image", encoding="utf-8")
    with visit(browser, ui_server.url) as seen:
        seen.page.goto(f"/ui/try/{DIGITS}")
        seen.page.set_input_files("[data-image]", str(notes))
        seen.page.click(PREDICT)
        expect(seen.page.locator('[data-field-error][data-for="image"]')).to_have_text(
            'expected PNG or JPEG image (bytes, base64 string or {"b64": ...}), '
            "got 12 bytes that are no image"
        )
        expect(seen.page.locator("#try-form [data-error-text]")).to_be_hidden()
        expect(seen.page.locator("#try-result")).to_be_hidden()
        assert seen.problems() == [refused(422, "Unprocessable Entity")]


def test_a_guarded_endpoint_takes_the_predict_token_typed_in_the_form(
    browser: object, guarded: tuple[RunningServer, str]
) -> None:
    server, token = guarded
    with visit(browser, server.url) as seen:
        seen.page.goto(f"/ui/try/{CANCER}")
        seen.page.click(PREDICT)
        box = seen.page.locator("#try-form [data-error-text]")
        expect(box).to_have_text(
            "this route needs a bearer token of role predict or admin: send 'Authorization: "
            "Bearer <token>'; create one with `modelyard token create NAME --role predict`"
        )
        seen.page.fill("[data-predict-token]", token)
        seen.page.click(PREDICT)
        _answer(seen.page)
        expect(box).to_be_hidden()
        assert seen.problems() == [refused(401, "Unauthorized")]


def test_an_unknown_endpoint_is_a_404_naming_the_endpoints(ui_server: RunningServer) -> None:
    answer = httpx.get(f"{ui_server.url}/ui/try/nope")
    assert answer.status_code == 404
    assert f"no endpoint of that name; endpoints: {CANCER}, {DIGITS}" in answer.text


def test_without_a_server_there_is_nothing_to_call(
    browser: object, ui_demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    alone = start_dashboard(ui_demo, tmp_path_factory.mktemp("ui-try-alone"))
    try:
        with visit(browser, alone.url) as seen:
            for path in ("/ui/try", f"/ui/try/{CANCER}"):
                seen.page.goto(path)
                expect(seen.page.locator("[data-no-server]")).to_contain_text(
                    "No server is attached"
                )
            assert seen.problems() == []
    finally:
        alone.stop()
