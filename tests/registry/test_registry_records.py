"""What serves a version is its verified package, never the database's copy of the manifest.

Each test edits the ``versions`` row of a real SQLite registry, as someone with write access
to the database could, and checks that loading and serving refuse, naming the field.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from sqlalchemy import create_engine, text

import modelyard
from modelyard.api import package_model
from modelyard.core.errors import IntegrityError
from modelyard.pipeline import Endpoint
from modelyard.registry import Registry
from nettools import free_port

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def pickle_package(tmp_path_factory: pytest.TempPathFactory, breast_cancer) -> Path:  # type: ignore[no-untyped-def]
    """A scikit-learn pickle package of "bc" (its requirements are checked at load), built once."""
    model = LogisticRegression(max_iter=5000).fit(breast_cancer.X_train, breast_cancer.y_train)
    folder = tmp_path_factory.mktemp("pickle") / "bc"
    package_model(model, "bc", folder, sample=breast_cancer.X_test.head(20), format="sklearn")
    return folder


@pytest.fixture
def pickled(registry: Registry, pickle_package: Path) -> Registry:
    """bc:1 registered from :func:`pickle_package`."""
    registry.register(pickle_package)
    return registry


def _edit_record(registry: Registry, change: Edit) -> None:
    """Rewrite the database's manifest of bc:1 with ``change`` applied."""
    engine = create_engine(registry.url)
    with engine.begin() as connection:
        row = connection.execute(
            text("SELECT manifest_json FROM versions WHERE name = 'bc' AND version = 1")
        ).scalar_one()
        document = json.loads(row)
        change(document)
        connection.execute(
            text("UPDATE versions SET manifest_json = :m WHERE name = 'bc' AND version = 1"),
            {"m": json.dumps(document)},
        )
    engine.dispose()


def _allow_mismatch(document: dict[str, Any]) -> None:
    document["pipeline"]["runner"] = {"name": "sklearn", "args": {"allow_mismatch": True}}


def _label_map(document: dict[str, Any]) -> None:
    mapping = {"name": "label_map", "args": {"mapping": {"0": "benign", "1": "malignant"}}}
    document["pipeline"]["postprocess"].append(mapping)


def _older_scikit_learn(document: dict[str, Any]) -> None:
    for requirement in document["requirements"]:
        if requirement["name"] == "scikit-learn":
            requirement["version"] = "0.24.2"


def _hostile_file(document: dict[str, Any]) -> None:
    document["files"]["../../x\n"] = "0" * 64


EDITS = [
    (_allow_mismatch, "pipeline.runner"),
    (_hostile_file, 'files."../../x\\n"'),
    (_label_map, "pipeline.postprocess"),
    (_older_scikit_learn, "requirements[scikit-learn].version"),
]


def _message(field: str) -> str:
    return (
        f"the registry's record of bc:1 differs from its verified package at {field}: refusing "
        "to serve it (the package decides what serves; restore the record)"
    )


@pytest.mark.parametrize(("edit", "field"), EDITS)
def test_an_edited_record_is_refused_by_load_and_by_an_endpoint(
    pickled: Registry, tmp_path: Path, edit: Edit, field: str
) -> None:
    _edit_record(pickled, edit)
    endpoints = tmp_path / "endpoints.yaml"
    endpoints.write_text(yaml.safe_dump({"endpoints": [{"id": "bc", "model": "bc:1"}]}))

    with pytest.raises(IntegrityError) as loading:
        modelyard.load("bc:1", registry=pickled)
    with pytest.raises(IntegrityError) as serving:
        Endpoint.from_yaml(endpoints, registry=pickled)

    assert str(loading.value) == _message(field)
    assert str(serving.value) == _message(field)


def test_modelyard_serve_refuses_an_edited_record_with_one_line(
    pickled: Registry, tmp_path: Path
) -> None:
    _edit_record(pickled, _allow_mismatch)
    endpoints = tmp_path / "endpoints.yaml"
    endpoints.write_text(yaml.safe_dump({"endpoints": [{"id": "bc", "model": "bc:1"}]}))
    command = [
        str(Path(sys.executable).with_name("modelyard")),
        "--registry", pickled.url, "--artifacts", pickled.artifacts_url,
        "serve", str(endpoints), "--port", str(free_port()),
    ]  # fmt: skip

    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ)

    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {_message('pipeline.runner')}"


def test_an_untouched_record_serves_the_packages_own_manifest(pickled: Registry) -> None:
    version = pickled.get("bc:1")
    package = pickled.verified(version)
    assert package.manifest == version.manifest
    assert (package.path / "manifest.json").is_file()


def test_a_record_that_is_not_a_manifest_is_refused_naming_the_field(
    pickled: Registry,
) -> None:
    _edit_record(pickled, lambda document: document.pop("signature"))
    with pytest.raises(IntegrityError) as refused:
        pickled.get("bc:1")
    assert str(refused.value) == (
        "the registry's record of bc:1 holds an invalid manifest at signature: restore the "
        "record from its package"
    )
