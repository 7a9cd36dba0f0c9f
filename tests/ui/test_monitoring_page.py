"""The monitoring pages in a real browser: drift per feature over time (drifted first), the
dataset drift share, prediction drift and live performance from feedback labels, read from a
real server's prediction log; an endpoint without a log says how to turn it on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from monitoredtools import (
    FEATURES,
    HISTORY_ROWS,
    HISTORY_SIGMAS,
    SHIFTED,
    Monitored,
    start_monitored,
)
from playwright.sync_api import expect
from registrytools import start_dashboard

from browsertools import screenshot, visit
from modelyard.monitoring.columns import Kind
from modelyard.monitoring.store import Columns, open_store
from modelyard.registry import Registry
from serving.servertools import RunningServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    running = start_monitored(tmp_path_factory.mktemp("ui-monitoring"))
    running.settle()
    yield running
    running.server.stop()


@pytest.fixture(scope="module")
def alone(site: Monitored, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_dashboard(site.demo, tmp_path_factory.mktemp("ui-alone"))
    yield running
    running.stop()


def test_the_list_links_logged_endpoints_and_says_how_to_log_the_others(
    browser: object, site: Monitored
) -> None:
    with visit(browser, site.server.url) as seen:
        seen.page.goto("/ui/monitoring")
        logged = seen.page.locator('tr[data-endpoint="shifted"]')
        expect(logged.locator("a")).to_have_attribute("href", "/ui/monitoring/shifted")
        expect(logged).to_contain_text("100% sampled")
        expect(logged).to_contain_text("drift every 1 s over 60 min")
        # the server's own figures, over its hour of log: 2 of 30 features drift
        expect(logged.locator("[data-latest]")).to_have_text(
            re.compile(r"primary: \d+ of 30 features drifted")
        )
        unlogged = seen.page.locator('tr[data-endpoint="unlogged"] [data-unlogged]')
        expect(unlogged).to_have_text(
            "off: add logging: {sample_rate: 0.1} to the endpoint in endpoints.yaml"
        )
        assert seen.problems() == []


def test_one_chart_per_feature_with_the_drifted_ones_first(
    browser: object, site: Monitored
) -> None:
    with visit(browser, site.server.url) as seen:
        seen.page.set_viewport_size({"width": 1280, "height": 900})
        seen.page.goto("/ui/monitoring/shifted")
        version = seen.page.locator("[data-version]")
        expect(version).to_have_count(1)
        features = version.locator("figure.feature")
        expect(features).to_have_count(len(FEATURES))
        names = [features.nth(i).get_attribute("data-feature") for i in range(len(FEATURES))]
        assert sorted(names) == sorted(FEATURES)
        assert set(names[: len(SHIFTED)]) == set(SHIFTED)
        flags = [features.nth(i).get_attribute("data-drifted") for i in range(len(FEATURES))]
        assert flags == ["true"] * len(SHIFTED) + ["false"] * (len(FEATURES) - len(SHIFTED))
        # each chart: one point per window with requests (the history's and the traffic's),
        # the shifted features drifting from their first shifted window on, the threshold drawn
        windows = len(HISTORY_SIGMAS) + 1
        for name in SHIFTED:
            chart = version.locator(f'figure[data-feature="{name}"]')
            expect(chart.locator("circle.point")).to_have_count(windows)
            points = chart.locator("circle.point")
            flags = [points.nth(i).get_attribute("data-drifted") for i in range(windows)]
            assert flags == [str(s > 0).lower() for s in HISTORY_SIGMAS] + ["true"]
        expect(features.locator("line.threshold")).to_have_count(len(FEATURES))
        expect(version.locator("[data-dataset-chart] circle.point")).to_have_count(windows)
        expect(version.locator("[data-prediction-chart] circle.point")).to_have_count(windows)
        expect(version.locator("[data-dataset-verdict]")).to_contain_text(
            f"{len(SHIFTED)} of {len(FEATURES)} judged features drifted, 7%"
        )
        assert seen.problems() == []


def test_more_windows_make_more_points_with_gaps_where_nothing_was_logged(
    browser: object, site: Monitored
) -> None:
    with visit(browser, site.server.url) as seen:
        seen.page.goto("/ui/monitoring/shifted?since=24h&windows=24")
        expect(seen.page.locator("form.card")).to_contain_text("cut into 24 windows of 1h")
        points = seen.page.locator("figure.feature").first.locator("circle.point")
        # everything was logged in the last half hour: one or two of the hourly windows hold
        # it (the newest ones), the others are gaps
        expect(points).not_to_have_count(0)
        windows = {
            int(points.nth(i).get_attribute("data-window") or "") for i in range(points.count())
        }
        assert windows <= {22, 23} and 23 in windows
        assert seen.problems() == []


def test_live_performance_after_feedback_labels(browser: object, site: Monitored) -> None:
    accuracy = site.send_labels()
    with visit(browser, site.server.url) as seen:
        seen.page.set_viewport_size({"width": 1280, "height": 900})
        seen.page.goto("/ui/monitoring/shifted")
        table = seen.page.locator('[data-performance-version="primary:cancer:1"]')
        expect(table.locator("tr[data-promoted]")).to_contain_text("package's test metrics")
        window = table.locator("tr[data-window]")
        expect(window).to_have_count(1)
        logged = len(site.sent) + HISTORY_ROWS * len(HISTORY_SIGMAS)
        expect(window).to_contain_text(f"{len(site.sent)} / {logged}")
        expect(window.locator('[data-metric="accuracy"]')).to_have_text(f"{accuracy:.4f}")
        registry = Registry(site.demo.registry_url, site.demo.artifacts, create=False)
        metrics = registry.get("cancer:1").manifest.metrics
        registry.close()
        assert metrics is not None
        expect(table.locator('tr[data-promoted] [data-metric="accuracy"]')).to_have_text(
            f"{metrics.values['accuracy']:.4f}"
        )
        assert seen.problems() == []
        screenshot(seen.page, "monitoring.png")


def test_an_endpoint_without_a_log_says_how_to_turn_it_on(browser: object, site: Monitored) -> None:
    with visit(browser, site.server.url) as seen:
        seen.page.goto("/ui/monitoring/unlogged")
        box = seen.page.locator("[data-unlogged]")
        expect(box).to_contain_text("Endpoint unlogged does not log its requests")
        expect(box.locator("pre")).to_have_text(
            "logging: {sample_rate: 0.1}\nmonitoring: {window: 1h}\n"
        )
        assert seen.problems() == []


def test_an_unknown_endpoint_is_a_404_naming_the_endpoints(site: Monitored) -> None:
    answer = httpx.get(f"{site.server.url}/ui/monitoring/nope")
    assert answer.status_code == 404
    assert "no endpoint of that name; endpoints: shifted, unlogged" in answer.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("windows=25", "windows must be a whole number from 1 to 24"),
        ("windows=x", "windows must be a whole number from 1 to 24"),
        ("since=soon", "since must be a duration from 1s to 366d, such as 30m, 1h or 7d"),
        ("since=400d", "since must be a duration from 1s to 366d, such as 30m, 1h or 7d"),
    ],
)
def test_a_bad_span_or_window_count_is_a_400_saying_what_fits(
    site: Monitored, query: str, message: str
) -> None:
    answer = httpx.get(f"{site.server.url}/ui/monitoring/shifted?{query}")
    assert answer.status_code == 400
    assert message in answer.text
    assert "soon" not in answer.text


def test_without_a_server_the_page_reads_the_log_from_the_registry(
    browser: object, alone: RunningServer
) -> None:
    with visit(browser, alone.url) as seen:
        seen.page.goto("/ui/monitoring")
        expect(seen.page.locator("[data-no-server]")).to_contain_text("No server is attached")
        seen.page.fill('input[name="endpoint"]', "shifted")
        seen.page.click("text=Show its monitoring")
        expect(seen.page).to_have_url(f"{alone.url}/ui/monitoring/shifted")
        expect(seen.page.locator("[data-no-server]")).to_be_visible()
        expect(seen.page.locator("figure.feature")).to_have_count(len(FEATURES))
        assert seen.problems() == []


def test_without_a_server_an_endpoint_that_never_logged_shows_nothing_to_judge(
    browser: object, alone: RunningServer
) -> None:
    with visit(browser, alone.url) as seen:
        seen.page.goto("/ui/monitoring/never")
        expect(seen.page.locator("[data-nothing-logged]")).to_have_text(
            "Nothing answered was logged in the last 1d: no drift to show."
        )
        expect(seen.page.locator("[data-no-labels]")).to_have_text("No labelled predictions yet.")
        assert seen.problems() == []


def test_a_logged_version_missing_from_the_registry_is_said_on_the_page(
    browser: object, site: Monitored, alone: RunningServer
) -> None:
    registry = Registry(site.demo.registry_url, site.demo.artifacts, create=False)
    record = {
        "time": datetime.now(UTC), "request_id": "ghost-0", "instance": 0, "endpoint": "ghost",
        "variant": "primary", "model": "cancer", "version": 7, "status": 200,
        "latency_ms": 1.0, "error": None, "input.mean radius": 14.0,
    }  # fmt: skip
    kinds: dict[str, Kind] = {"version": "int", "status": "int", "input.mean radius": "float"}
    open_store("registry", registry).write("ghost", Columns.from_records([record], kinds))
    registry.close()
    with visit(browser, alone.url) as seen:
        seen.page.goto("/ui/monitoring/ghost")
        expect(seen.page.locator("[data-drift-error]")).to_have_text(
            "model 'cancer' has no version 7; versions: 1"
        )
        assert seen.problems() == []
