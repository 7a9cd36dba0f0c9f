"""endpoints.yaml: the smallest and the full form, refs resolved in a real registry."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.pipeline import Endpoint, load_endpoints
from modelyard.pipeline.spec import EndpointSpec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "endpoints.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture()
def bc_registry(registry, bc_package):
    version = registry.register(bc_package)
    registry.set_alias("breast_cancer", "production", version.version, reason="first model")
    return registry


def test_the_smallest_file_serves_the_aliased_version(tmp_path, bc_registry, breast_cancer):
    path = write(
        tmp_path,
        """
        endpoints:
          - id: breast-cancer
            model: breast_cancer@production
        """,
    )
    endpoint = Endpoint.from_yaml(path, registry=bc_registry)
    assert endpoint.id == "breast-cancer"
    assert (endpoint.model.name, endpoint.model.version) == ("breast_cancer", 1)
    assert endpoint.spec.batching.max_batch_size == 32 and endpoint.spec.batching.max_wait_ms == 2
    assert endpoint.spec.traffic.strategy == "single"
    answer = endpoint.predict(breast_cancer.X_test.head(2).to_dict(orient="records"))
    assert answer["model"] == {"name": "breast_cancer", "version": 1}
    assert len(answer["predictions"]) == 2
    assert endpoint.description == "serves breast_cancer@production = breast_cancer:1"


def test_the_full_form_sets_every_policy_and_records_the_override(tmp_path, bc_registry, caplog):
    path = write(
        tmp_path,
        """
        endpoints:
          - id: bc-strict
            model: breast_cancer:1
            description: screening, high recall
            runner: {threads: 2, providers: [CPUExecutionProvider]}
            batching: {max_batch_size: 64, max_wait_ms: 5}
            limits: {max_body_bytes: 65536, max_instances: 100}
            validation: {profile: reject}
            logging: {sample_rate: 0.25}
            traffic: {strategy: single}
            pipeline:
              postprocess:
                - name: threshold
                  args: {threshold: 0.2, positive: 0}
          - id: bc-plain
            model: breast_cancer@production
        """,
    )
    with caplog.at_level(logging.WARNING):
        endpoints = load_endpoints(path, bc_registry)
    strict = endpoints["bc-strict"]
    assert strict.spec.limits.max_instances == 100 and strict.spec.logging.sample_rate == 0.25
    assert strict.spec.runner.threads == 2 and strict.pipeline.context.resources.threads == 2
    assert strict.description == (
        f"screening, high recall; serves breast_cancer:1 = breast_cancer:1; "
        f"pipeline postprocess overridden at {path}:12"
    )
    assert f"overridden by {path}:12" in caplog.text
    assert set(endpoints) == {"bc-strict", "bc-plain"}


def test_from_yaml_needs_an_id_when_the_file_has_several(tmp_path, bc_registry):
    path = write(
        tmp_path,
        """
        endpoints:
          - {id: a, model: breast_cancer:1}
          - {id: b, model: breast_cancer:1}
        """,
    )
    with pytest.raises(ConfigError, match=r"declares several endpoints \(a, b\): pass endpoint_id"):
        Endpoint.from_yaml(path, registry=bc_registry)
    assert Endpoint.from_yaml(path, "b", bc_registry).id == "b"
    with pytest.raises(NotFoundError, match="has no endpoint 'c'; it declares: a, b"):
        Endpoint.from_yaml(path, "c", bc_registry)


def test_reload_follows_an_alias_move(tmp_path, bc_registry, diabetes_package, bc_sklearn_package):
    path = write(tmp_path, "endpoints: [{id: bc, model: breast_cancer@production}]\n")
    endpoint = Endpoint.from_yaml(path, registry=bc_registry)
    assert endpoint.reload() is False
    second = bc_registry.register(bc_sklearn_package)
    bc_registry.set_alias("breast_cancer", "production", second.version, reason="pickle")
    assert endpoint.reload() is True
    assert endpoint.model.version == 2 and endpoint.pipeline.manifest.format == "sklearn"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "bad id!", "model": "m:1"}, "bad endpoint id 'bad id!'"),
        ({"id": "a", "model": "m"}, "model 'm' names no version: write m@ALIAS or m:VERSION"),
        ({"id": "a", "model": "m:x"}, "bad model reference 'm:x'"),
        (
            {"id": "a", "model": "m:1", "traffic": {"strategy": "blue-green"}},
            "expected one of single, shadow, canary, ab, bandit",
        ),
    ],
)
def test_spec_fields_are_validated(fields, message):
    with pytest.raises(ValueError, match=message):
        EndpointSpec.model_validate(fields)
