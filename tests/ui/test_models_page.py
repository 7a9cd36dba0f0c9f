"""The models pages in a real browser, on a real server whose registry has three evaluated
versions of breast_cancer (v1 with only its test metrics from log time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from registrytools import open_registry, with_evaluated_versions

from browsertools import screenshot, visit
from modelyard.demo import CANCER, DIGITS, Demo
from serving.servertools import RunningServer, start_server

WAIT_MS = 10_000
VERSIONS = "versions: 1, 2, 3"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return with_evaluated_versions(tmp_path_factory.mktemp("models-page"))


@pytest.fixture(scope="module")
def server(history: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        history, Path(history.endpoints_file), tmp_path_factory.mktemp("models-server")
    )
    yield running
    running.stop()


def test_models_page_lists_every_model_with_versions_aliases_and_figures(
    browser: Any, server: RunningServer
) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto("/ui/models")
        cancer = seen.page.locator(f'tr[data-model="{CANCER}"]')
        expect(cancer).to_contain_text("@production → v3", timeout=WAIT_MS)
        expect(cancer.locator("td").nth(1)).to_have_text("3")
        expect(cancer).to_contain_text("evaluated on 143 rows")
        expect(seen.page.locator(f'tr[data-model="{DIGITS}"]')).to_contain_text(
            "test split at log time"
        )
        screenshot(seen.page, "models.png")
        assert seen.problems() == []


def test_model_page_charts_one_point_per_version_with_intervals(
    browser: Any, server: RunningServer
) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto(f"/ui/models/{CANCER}")
        points = seen.page.locator("#chart circle.point")
        expect(points).to_have_count(3, timeout=WAIT_MS)
        versions = [points.nth(i).get_attribute("data-version") for i in range(3)]
        assert versions == ["1", "2", "3"]
        # v2 and v3 were evaluated with bootstrap intervals; v1 has its logged test metric
        expect(seen.page.locator("#chart line.interval")).to_have_count(2)
        expect(seen.page.locator("table.versions tbody tr")).to_have_count(3)
        screenshot(seen.page, "model.png")
        assert seen.problems() == []


def test_the_metric_picker_swaps_the_chart_in_place(browser: Any, server: RunningServer) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto(f"/ui/models/{CANCER}")
        expect(seen.page.locator("#chart svg")).to_contain_text("accuracy", timeout=WAIT_MS)
        seen.page.locator("#chart nav a", has_text="roc_auc").click()
        expect(seen.page.locator("#chart svg")).to_contain_text("roc_auc of", timeout=WAIT_MS)
        expect(seen.page.locator("#chart circle.point")).to_have_count(3)
        assert seen.page.url.endswith("?metric=roc_auc")
        assert seen.problems() == []


def test_version_page_shows_pipeline_lineage_profile_and_report(
    browser: Any, server: RunningServer, history: Demo
) -> None:
    registry = open_registry(history)
    manifest = registry.get(f"{CANCER}:2").manifest
    registry.close()
    with visit(browser, server.url) as seen:
        seen.page.goto(f"/ui/models/{CANCER}/versions/2")
        stages = seen.page.locator("table.pipeline tr[data-stage]")
        expect(stages).to_have_count(3, timeout=WAIT_MS)
        expect(stages.nth(0)).to_contain_text("tabular")
        expect(stages.nth(1)).to_contain_text("onnx (default)")
        expect(stages.nth(2)).to_contain_text("classification")
        commit = seen.page.locator("table.lineage .commit")
        if manifest.lineage.git is not None:
            expect(commit).to_have_text(manifest.lineage.git.commit)
        else:
            expect(commit).to_have_text("not logged from a git repository")
        expect(seen.page.locator("table.lineage")).to_contain_text("param C")
        assert manifest.profile is not None
        histograms = seen.page.locator("svg.histogram")
        expect(histograms).to_have_count(len(manifest.profile.features))
        assert histograms.first.get_attribute("data-feature") == "mean radius"
        expect(seen.page.locator("table.signature tr[data-kind=input]")).to_contain_text("float")
        expect(seen.page.locator("p.parity")).to_contain_text("labels equal")
        report = seen.page.frame_locator("iframe.report").first
        expect(report.locator("h1")).to_have_text(f"Evaluation of {CANCER}:2", timeout=WAIT_MS)
        screenshot(seen.page, "version.png")
        assert seen.problems() == []


def test_the_report_is_served_alone_under_its_own_policy(
    server: RunningServer, history: Demo
) -> None:
    registry = open_registry(history)
    dataset = registry.list_evaluations(CANCER, 3)[0]["dataset_sha256"]
    registry.close()
    answer = httpx.get(f"{server.url}/ui/models/{CANCER}/versions/3/evaluations/{dataset}")
    assert answer.status_code == 200
    assert "<h1>Evaluation of breast_cancer:3</h1>" in answer.text
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy


def test_a_version_never_evaluated_shows_how_to_evaluate_it(
    browser: Any, server: RunningServer
) -> None:
    with visit(browser, server.url) as seen:
        seen.page.goto(f"/ui/models/{CANCER}/versions/1")
        expect(seen.page.locator("#evaluations + p")).to_have_text(
            f"Not evaluated yet: modelyard evaluate {CANCER}:1 --data FILE stores an "
            "evaluation here.",
            timeout=WAIT_MS,
        )
        assert seen.problems() == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/ui/models/nope", f"no model of that name; models: {CANCER}, {DIGITS}"),
        ("/ui/models/nope/versions/1", f"no model of that name; models: {CANCER}, {DIGITS}"),
        ("/ui/models/nope/chart", f"no model of that name; models: {CANCER}, {DIGITS}"),
        (f"/ui/models/{CANCER}/versions/9", f"{CANCER} has no version of that number; {VERSIONS}"),
        (f"/ui/models/{CANCER}/versions/x", f"{CANCER} has no version of that number; {VERSIONS}"),
        (
            f"/ui/models/{CANCER}/versions/1/evaluations/abc",
            f"{CANCER}:1 has no evaluation on that data; evaluated on: (none)",
        ),
    ],
)  # fmt: skip
def test_unknown_model_version_or_evaluation_is_a_404_page_naming_what_exists(
    server: RunningServer, path: str, message: str
) -> None:
    answer = httpx.get(server.url + path)
    assert answer.status_code == 404
    assert f'<p class="error" id="missing">{message}</p>' in answer.text
    assert "nope" not in answer.text


def test_the_404_page_renders_cleanly_in_a_browser(browser: Any, server: RunningServer) -> None:
    with visit(browser, server.url) as seen:
        answer = seen.page.goto(f"/ui/models/{CANCER}/versions/9")
        assert answer.status == 404
        expect(seen.page.locator("#missing")).to_contain_text("versions: 1, 2, 3")
        # the one problem is the page's own status: no asset is missing, no script failed
        assert seen.problems() == [
            "console: Failed to load resource: the server responded with a status of 404 "
            "(Not Found)"
        ]
