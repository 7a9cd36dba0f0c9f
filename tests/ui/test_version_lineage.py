"""The version page's lineage of a model imported from another system: where it came from,
what its run recorded, and an unknown dirty flag shown as unknown (never as clean)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from starlette.requests import Request

from modelyard.core.refs import ModelRef
from modelyard.demo import CANCER, Demo
from modelyard.package.manifest import GitInfo, ImportedDataset, ImportedFrom, Manifest
from modelyard.registry import ModelVersion, Registry
from modelyard.ui.charts import profile_histograms
from modelyard.ui.pages.models import stages
from modelyard.ui.templates import render

COMMIT = "0123456789abcdef0123456789abcdef01234567"
ORIGIN = ImportedFrom(
    system="mlflow",
    uri="models:/iris/1",
    flavor="sklearn",
    run_id="4f1c0d",
    system_version="3.17.2",
    metrics={"accuracy": 0.96},
    datasets=[ImportedDataset(name="iris-train", digest="9a8b7c", context="training", rows=150)],
)


@pytest.fixture(scope="module")
def logged(ui_demo: Demo) -> ModelVersion:
    registry = Registry(ui_demo.registry_url, ui_demo.artifacts)
    try:
        return registry.get(ModelRef(CANCER, version=1))
    finally:
        registry.close()


def _page(version: ModelVersion, manifest: Manifest) -> str:
    path = f"/ui/models/{version.name}/versions/{version.version}"
    request = Request({"type": "http", "method": "GET", "path": path, "headers": []})
    answer = render(
        request, "models_version.html", version=version, manifest=manifest,
        stages=stages(manifest), histograms=profile_histograms(manifest.profile), evaluations=[],
    )  # fmt: skip
    return bytes(answer.body).decode()


def _lineage(manifest: Manifest, **changes: Any) -> Manifest:
    return manifest.model_copy(update={"lineage": manifest.lineage.model_copy(update=changes)})


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def _row(page: str, heading: str) -> str:
    """The text of the lineage row headed ``heading`` (one row per line in the page)."""
    found = re.search(rf"<tr[^>]*><th>{re.escape(heading)}</th><td[^>]*>(.*?)</td></tr>", page)
    assert found is not None, f"no lineage row {heading!r}"
    return _text(found.group(1))


def _table(page: str, css_class: str) -> list[str]:
    """The body cells of the table of class ``css_class``."""
    found = re.search(rf'<table class="{css_class}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found is not None, f"no table {css_class!r}"
    return [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1))]


def test_an_imported_model_shows_where_it_came_from(logged: ModelVersion) -> None:
    git = GitInfo(commit=COMMIT, dirty=None)
    manifest = _lineage(logged.manifest, git=git, imported=ORIGIN)
    page = _page(logged, manifest)
    assert _row(page, "working tree") == "unknown (not recorded in mlflow)"
    assert _row(page, "imported from") == "mlflow 3.17.2 (sklearn flavor): models:/iris/1"
    assert _row(page, "mlflow run") == "4f1c0d"
    assert _row(page, "run metrics") == "accuracy 0.9600 (as the run recorded them)"
    assert _table(page, "imported-datasets") == ["training", "iris-train", "9a8b7c", "150", "-"]


def test_an_imported_model_without_a_commit_says_the_source_did_not_record_one(
    logged: ModelVersion,
) -> None:
    page = _page(logged, _lineage(logged.manifest, git=None, imported=ORIGIN))
    assert _row(page, "git commit") == "not recorded in mlflow"


def test_a_logged_model_keeps_its_clean_or_dirty_tree(logged: ModelVersion) -> None:
    clean = _lineage(logged.manifest, git=GitInfo(commit=COMMIT, dirty=False))
    assert _row(_page(logged, clean), "working tree") == "clean"
    dirty = GitInfo(commit=COMMIT, dirty=True, changed_files=["train.py"])
    assert _row(_page(logged, _lineage(logged.manifest, git=dirty)), "working tree") == (
        "dirty (1 changed file: train.py)"
    )
    assert 'class="imported"' not in _page(logged, clean)
