"""``modelyard monitor ENDPOINT``: drift of the logged requests (or of a file) per variant and
version, as a table, JSON or a self-contained HTML report, and every refusal as one line.

The log is written through the real registry store, answers from the version's own pipeline:
variant ``main`` got 300 rows with ``mean texture`` shifted by 3 standard deviations,
variant ``b`` 200 unshifted rows (both drawn seeded from the breast-cancer population).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer

from modelyard.monitoring.endpoint_drift import NO_PREDICTION_BASELINE
from modelyard.registry import ModelVersion, Registry
from monitoring.drift_packages import classifier_package, without_reference
from monitoring.drifttools import shift, traffic
from monitoring.labeltools import cancer_version, log_answers

pytestmark = pytest.mark.slow

POPULATION = load_breast_cancer(as_frame=True).data
FEATURES = len(POPULATION.columns)
ENDPOINTS = "endpoints: [{id: cancer, model: 'cancer:1', logging: {sample_rate: 1.0}}]\n"
NO_REFERENCE = (
    "no reference sample in this version: ks and wasserstein need the training values; "
    "judged on the profile's bins"
)


@pytest.fixture
def logged(workdir: Path) -> ModelVersion:
    """Endpoint ``cancer`` (serving ``cancer:1``) with its two variants' requests logged."""
    registry = Registry()
    version, _ = cancer_version(registry, workdir / "packages")
    at = datetime.now(UTC) - timedelta(minutes=30)
    shifted = shift(traffic(POPULATION, 300, seed=1), ["mean texture"])
    log_answers(registry, "cancer", version, shifted, at=at)
    log_answers(registry, "cancer", version, traffic(POPULATION, 200, seed=2), variant="b", at=at)
    (workdir / "endpoints.yaml").write_text(ENDPOINTS)
    registry.close()
    return version


def _json(cli: Callable, *args: str) -> dict:
    result = cli("monitor", "cancer", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def _drifted(version: dict) -> list[str]:
    return [f["name"] for f in version["report"]["features"] if f["drifted"]]


def test_the_table_flags_the_shifted_feature_of_its_variant(
    cli: Callable, logged: ModelVersion
) -> None:
    result = cli("monitor", "cancer")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("cancer: 500 rows (logged since ")
    assert lines[0].endswith(
        "a feature with fewer than 100 current values is not judged (--min-rows)"
    )
    assert (
        "b: cancer:1 — no dataset drift (0 of 30 judged features, 0%; threshold 50%); 200 rows "
        "against a reference sample of 426" in result.out
    )
    assert (
        "main: cancer:1 — no dataset drift (1 of 30 judged features, 3%; threshold 50%); 300 "
        "rows against a reference sample of 426" in result.out
    )
    drift_rows = [line for line in lines if "DRIFT" in line and "dataset" not in line]
    assert len(drift_rows) == 1 and "mean texture" in drift_rows[0] and " ks " in drift_rows[0]
    assert sum("(prediction)" in line for line in lines) == 2


def test_the_json_is_stable_and_names_the_drifted_feature(
    cli: Callable, logged: ModelVersion
) -> None:
    report = _json(cli)

    assert list(report) == ["endpoint", "source", "since", "rows", "versions"]
    assert (report["endpoint"], report["source"], report["rows"]) == ("cancer", "log", 500)
    b, main = report["versions"]
    assert list(main) == ["variant", "model", "version", "report"]
    assert (main["variant"], main["model"], main["version"]) == ("main", "cancer", 1)
    assert list(main["report"]) == [
        "reference", "reference_rows", "current_rows", "min_rows", "features", "dataset",
        "prediction", "definitions", "note",
    ]  # fmt: skip
    assert (_drifted(main), _drifted(b)) == (["mean texture"], [])
    assert main["report"]["dataset"] == {
        "features": 30,
        "judged": 30,
        "drifted_features": 1,
        "share": 1 / 30,
        "threshold": 0.5,
        "drifted": False,
    }
    texture = next(f for f in main["report"]["features"] if f["name"] == "mean texture")
    assert (texture["method"], texture["effect_method"], texture["rows_current"]) == (
        "ks", "wasserstein", 300,
    )  # fmt: skip
    assert texture["p_value"] < 0.05 and texture["effect_size"] > 2.5
    assert main["report"]["prediction"]["name"] == "label"
    again = _json(cli)
    assert again | {"since": None} == report | {"since": None}


def test_the_html_report_is_self_contained_with_a_section_per_version(
    cli: Callable, logged: ModelVersion, workdir: Path
) -> None:
    result = cli("monitor", "cancer", "--report", "drift.html")

    assert result.code == 0, result.err
    assert result.out.rstrip().endswith("report written to drift.html")
    page = (workdir / "drift.html").read_text(encoding="utf-8")
    # the SVG namespace names the markup; nothing is fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}
    assert "<script src" not in page and "<link" not in page
    assert re.findall(r"<h2>([^<]*)</h2>", page) == ["b: cancer:1", "main: cancer:1", "Definitions"]
    assert page.count("<svg") >= 2 * FEATURES
    definitions = page[page.index("<h2>Definitions</h2>") :]
    for method in ("ks", "wasserstein", "chisquare", "jensenshannon", "psi"):
        assert method in definitions


def test_variant_keeps_one_variants_requests(
    cli: Callable, logged: ModelVersion, workdir: Path
) -> None:
    report = _json(cli, "--variant", "main")

    assert report["rows"] == 300
    assert [v["variant"] for v in report["versions"]] == ["main"]
    assert _drifted(report["versions"][0]) == ["mean texture"]
    assert cli("monitor", "cancer", "--variant", "main", "--report", "main.html").code == 0
    page = (workdir / "main.html").read_text(encoding="utf-8")
    assert "<h1>Drift of cancer (main: cancer:1)</h1>" in page
    silent = _json(cli, "--variant", "canary")
    assert (silent["rows"], silent["versions"]) == (0, [])


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_data_file_is_scored_by_the_endpoints_model(
    cli: Callable, logged: ModelVersion, workdir: Path, suffix: str
) -> None:
    rows = shift(traffic(POPULATION, 250, seed=4), ["worst area"])
    data = workdir / f"rows.{suffix}"
    rows.to_csv(data, index=False) if suffix == "csv" else rows.to_parquet(data)

    report = _json(cli, "--data", data.name, "--endpoints", "endpoints.yaml")

    assert (report["source"], report["since"], report["rows"]) == (data.name, None, 250)
    (version,) = report["versions"]
    assert (version["variant"], version["model"], version["version"]) == ("primary", "cancer", 1)
    assert _drifted(version) == ["worst area"]
    assert version["report"]["prediction"]["rows_current"] == 250


def test_too_few_rows_are_not_judged_and_the_rule_is_stated(
    cli: Callable, logged: ModelVersion
) -> None:
    result = cli("monitor", "cancer", "--min-rows", "250")

    assert result.code == 0, result.err
    assert "a feature with fewer than 250 current values is not judged (--min-rows)" in result.out
    assert "b: cancer:1 — not judged (0 of 0 judged features, n/a" in result.out
    report = _json(cli, "--min-rows", "250")
    b, main = report["versions"]
    assert b["report"]["min_rows"] == 250 and b["report"]["dataset"]["drifted"] is None
    assert {f["drifted"] for f in b["report"]["features"]} == {None}
    assert {f["note"] for f in b["report"]["features"]} == {
        "not judged: 200 current values, fewer than min_rows=250"
    }
    assert _drifted(main) == ["mean texture"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ghost"],
            "error: endpoint 'ghost' has no logged predictions in the registry store: is "
            "logging.sample_rate (or keep_errors) set for it, and is this the store it writes to?",
        ),
        (
            ["cancer", "--data", "rows.csv"],
            "error: --data needs to know which model endpoint 'cancer' serves: pass --endpoints "
            "FILE (the endpoints file that declares it)",
        ),
        (
            ["cancer", "--data", "rows.csv", "--since", "1h", "--endpoints", "endpoints.yaml"],
            "error: give --since (the log) or --data (a file), not both",
        ),
        (
            ["cancer", "--performance", "--report", "drift.html"],
            "error: --data and --report are for drift: leave out --performance",
        ),
        (
            ["cancer", "--data", "corrupt.parquet", "--endpoints", "endpoints.yaml"],
            "error: --data corrupt.parquet cannot be read: expected a CSV or Parquet file of the "
            "endpoint's features, one row per request",
        ),
        (
            ["cancer", "--data", "absent.csv", "--endpoints", "endpoints.yaml"],
            "error: dataset absent.csv does not exist: expected a CSV or Parquet file",
        ),
        (
            ["ghost", "--data", "rows.csv", "--endpoints", "endpoints.yaml"],
            "error: endpoints.yaml: no endpoint 'ghost'; endpoints: cancer",
        ),
        (
            ["cancer", "--report", "nowhere/drift.html"],
            "error: cannot write the report nowhere/drift.html: No such file or directory",
        ),
        (
            ["cancer", "--data", "rows.csv", "--variant", "b", "--endpoints", "endpoints.yaml"],
            "error: --data is scored by the endpoint's primary: leave out --variant",
        ),
        (
            ["cancer", "--gates", "gates.yaml"],
            "error: --gates and --window are for --performance",
        ),
        (
            ["cancer", "--endpoints", "unlogged.yaml"],
            "error: unlogged.yaml:1: endpoints.0.monitoring: Value error, monitoring reads the "
            "prediction log: set logging.sample_rate above 0 (e.g. 0.1) for it to have "
            "requests to judge",
        ),
        (
            ["cancer", "--endpoints", "typo.yaml"],
            "error: typo.yaml:1: endpoints.0.monitoring.drift_evry: Extra inputs are not permitted",
        ),
        (
            ["cancer", "--since", "soon"],
            "error: --since 'soon' is not a duration: expected e.g. 1h, 1d or 7d",
        ),
    ],
)
def test_each_refusal_is_one_error_line(
    cli: Callable, logged: ModelVersion, workdir: Path, args: list[str], message: str
) -> None:
    traffic(POPULATION, 10).to_csv(workdir / "rows.csv", index=False)
    (workdir / "corrupt.parquet").write_bytes(b"PAR1 not really a parquet file")
    (workdir / "unlogged.yaml").write_text(
        "endpoints: [{id: cancer, model: 'cancer:1', monitoring: {drift_every: 1m}}]\n"
    )
    (workdir / "typo.yaml").write_text(
        "endpoints: [{id: cancer, model: 'cancer:1', logging: {sample_rate: 1.0}, "
        "monitoring: {drift_evry: 1m}}]\n"
    )

    result = cli("monitor", *args)

    assert (result.code, result.err.strip(), result.out) == (2, message, "")
    assert not (workdir / "drift.html").exists()


def test_a_version_without_a_reference_sample_says_what_was_not_computed(
    cli: Callable, workdir: Path
) -> None:
    registry = Registry()
    data = load_breast_cancer(as_frame=True)
    folder = without_reference(classifier_package(workdir / "old", data.data, data.target))
    version = registry.register(folder)
    log_answers(registry, "old", version, shift(traffic(POPULATION, 300), ["mean texture"]))
    registry.close()

    result = cli("monitor", "old", "--json")

    assert result.code == 0, result.err
    (found,) = json.loads(result.out)["versions"]
    report = found["report"]
    assert (report["reference"], report["reference_rows"]) == ("profile", len(POPULATION))
    assert {f["note"] for f in report["features"]} == {NO_REFERENCE}
    assert {f["method"] for f in report["features"]} == {"profile_chisquare"}
    assert "mean texture" in _drifted(found)
    assert report["prediction"] is None and report["note"] == NO_PREDICTION_BASELINE
    table = cli("monitor", "old")
    assert table.code == 0 and NO_PREDICTION_BASELINE in table.out.replace("\n", " ")
    assert "profile_chisquare" in table.out and NO_REFERENCE in table.out.replace("\n", " ")
    assert cli("monitor", "old", "--report", "old.html").code == 0
    page = (workdir / "old.html").read_text(encoding="utf-8")
    assert NO_REFERENCE.replace("'", "&#x27;") in page
    assert NO_PREDICTION_BASELINE in page


def test_a_parquet_log_is_read_from_the_endpoints_store_or_store(
    cli: Callable, logged: ModelVersion, workdir: Path
) -> None:
    registry = Registry()
    where = f"parquet:{workdir / 'log'}"
    rows = shift(traffic(POPULATION, 300, seed=1), ["mean smoothness"])
    log_answers(registry, "kept", logged, rows, store=where)
    registry.close()
    (workdir / "kept.yaml").write_text(
        f"endpoints: [{{id: kept, model: 'cancer:1', logging: {{sample_rate: 1.0, "
        f"store: '{where}'}}}}]\n"
    )

    by_file = cli("monitor", "kept", "--json", "--endpoints", "kept.yaml")
    by_option = cli("monitor", "kept", "--json", "--store", where)

    assert by_file.code == 0 and by_option.code == 0, by_file.err + by_option.err
    for result in (by_file, by_option):
        (version,) = json.loads(result.out)["versions"]
        assert version["report"]["current_rows"] == 300
        assert _drifted(version) == ["mean smoothness"]
    assert cli("monitor", "kept").code == 2  # not in the registry's own log


def test_a_window_with_nothing_logged_says_when_the_newest_record_was(
    cli: Callable, logged: ModelVersion
) -> None:
    result = cli("monitor", "cancer", "--since", "1m")

    assert result.code == 2 and result.out == ""
    assert re.fullmatch(
        r"error: endpoint 'cancer' logged nothing since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(its "
        r"newest record is from \d{4}-\d\d-\d\d \d\d:\d\d UTC\): widen --since",
        result.err.strip(),
    ), result.err
