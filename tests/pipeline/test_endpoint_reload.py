"""``Endpoint.reload`` follows the version an alias names, even when its bytes are the same."""

from __future__ import annotations

from pathlib import Path

from sklearn.linear_model import LogisticRegression

from modelyard.api import package_model
from modelyard.pipeline import Endpoint
from modelyard.pipeline.spec import EndpointSpec
from modelyard.registry import Registry


def test_reload_switches_to_identical_bytes_registered_as_a_new_version(
    registry: Registry, breast_cancer, tmp_path: Path
) -> None:
    model = LogisticRegression(max_iter=5000).fit(breast_cancer.X_train, breast_cancer.y_train)
    package_model(model, "bc", tmp_path / "bc", sample=breast_cancer.X_test.head(10))
    first, second = registry.register(tmp_path / "bc"), registry.register(tmp_path / "bc")
    assert first.digest == second.digest
    registry.set_alias("bc", "production", 1, reason="start")
    endpoint = Endpoint(EndpointSpec(id="bc", model="bc@production"), registry)
    record = breast_cancer.X_test.head(1).to_dict("records")

    assert endpoint.reload() is False
    registry.set_alias("bc", "production", 2, reason="same bytes, new number")
    assert endpoint.moved() is True
    assert endpoint.reload() is True

    assert endpoint.predict({"instances": record})["model"] == {"name": "bc", "version": 2}
    assert endpoint.reload() is False
    endpoint.close()
