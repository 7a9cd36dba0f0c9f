"""The ``traffic:`` block planned into arms, and each arm loaded as an endpoint of its own."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from modelyard.core.errors import ConfigError
from modelyard.pipeline import Endpoint
from modelyard.pipeline.components import Origin
from modelyard.pipeline.endpoint import read_endpoints_file
from modelyard.pipeline.spec import EndpointSpec
from modelyard.pipeline.traffic import ArmPlan, SingleTraffic


def spec(traffic: dict | None = None, model: str = "bc@production") -> EndpointSpec:
    fields = {"id": "e", "model": model}
    if traffic is not None:
        fields["traffic"] = traffic
    return EndpointSpec.model_validate(fields)


def test_single_is_the_default_and_one_primary_arm():
    endpoint = spec()
    assert endpoint.traffic == SingleTraffic()
    assert endpoint.traffic.plan(endpoint.model) == [
        ArmPlan("primary", "bc@production", "variant", 100.0, ("model",))
    ]
    assert endpoint.traffic.primary_arm(endpoint.model) == "primary"


def test_shadow_arms_mirror_their_percent_and_are_named_by_their_ref():
    endpoint = spec({"strategy": "shadow", "shadows": ["bc:2", "other@staging"], "percent": 20})
    assert endpoint.traffic.plan(endpoint.model) == [
        ArmPlan("primary", "bc@production", "variant", 100.0, ("model",)),
        ArmPlan("bc:2", "bc:2", "shadow", 20.0, ("traffic", "shadows", 0)),
        ArmPlan("other@staging", "other@staging", "shadow", 20.0, ("traffic", "shadows", 1)),
    ]
    assert endpoint.traffic.primary_arm(endpoint.model) == "primary"


def test_canary_starts_at_its_first_step():
    endpoint = spec({"strategy": "canary", "candidate": "bc:2", "steps": [10, 50, 90]})
    assert endpoint.traffic.plan(endpoint.model) == [
        ArmPlan("primary", "bc@production", "variant", 90.0, ("model",)),
        ArmPlan("candidate", "bc:2", "variant", 10.0, ("traffic", "candidate")),
    ]
    assert endpoint.traffic.primary_arm(endpoint.model) == "primary"


def test_canary_durations_take_units():
    traffic = spec(
        {"strategy": "canary", "candidate": "bc:2", "interval": "90s", "deadline": "2h"}
    ).traffic
    assert (traffic.interval, traffic.deadline, traffic.feedback_window) == (90.0, 7200.0, 86400.0)


def test_ab_puts_the_primary_first_with_the_written_weights():
    endpoint = spec(
        {
            "strategy": "ab",
            "variants": {"new": "bc:2", "old": "bc@production"},
            "weights": {"new": 30, "old": 70},
            "sticky": "header:X-User-Id",
        }
    )
    assert endpoint.traffic.plan(endpoint.model) == [
        ArmPlan("old", "bc@production", "variant", 70.0, ("traffic", "variants", "old")),
        ArmPlan("new", "bc:2", "variant", 30.0, ("traffic", "variants", "new")),
    ]
    assert endpoint.traffic.primary_arm(endpoint.model) == "old"
    assert endpoint.traffic.sticky_key == ("header", "X-User-Id")


def test_ab_without_weights_shares_equally():
    endpoint = spec(
        {
            "strategy": "ab",
            "variants": {"a": "bc@production", "b": "bc:2", "c": "bc:3"},
            "sticky": "field:customer_id",
        }
    )
    arms = endpoint.traffic.plan(endpoint.model)
    assert [arm.name for arm in arms] == ["a", "b", "c"]
    assert [arm.weight for arm in arms] == pytest.approx([100 / 3] * 3)
    assert sum(arm.weight for arm in arms) == pytest.approx(100)
    assert endpoint.traffic.sticky_key == ("field", "customer_id")


def test_ab_weights_may_miss_100_by_a_millionth_at_most():
    def ab(weights: dict[str, float]) -> EndpointSpec:
        variants = {"a": "bc@production", "b": "bc:2"}
        return spec({"strategy": "ab", "variants": variants, "weights": weights})

    endpoint = ab({"a": 50, "b": 49.9999995})
    assert [arm.weight for arm in endpoint.traffic.plan(endpoint.model)] == [50, 49.9999995]
    with pytest.raises(ValidationError, match=r"weights sum to 99\.999998, expected 100"):
        ab({"a": 50, "b": 49.999998})


def test_bandit_arms_are_their_refs_in_equal_shares_primary_first():
    endpoint = spec({"strategy": "bandit", "variants": ["bc:2", "bc@production", "bc:3"]})
    share = 100 / 3
    assert endpoint.traffic.plan(endpoint.model) == [
        ArmPlan("bc@production", "bc@production", "variant", share, ("traffic", "variants", 1)),
        ArmPlan("bc:2", "bc:2", "variant", share, ("traffic", "variants", 0)),
        ArmPlan("bc:3", "bc:3", "variant", share, ("traffic", "variants", 2)),
    ]
    assert endpoint.traffic.primary_arm(endpoint.model) == "bc@production"


def test_validated_without_a_file_the_location_still_names_the_strategy_field():
    with pytest.raises(ValueError, match="traffic\n  expected one of single, shadow, canary"):
        spec({"percent": 10})


def test_a_cross_field_problem_is_located_at_the_field():
    with pytest.raises(ValidationError) as caught:
        spec({"strategy": "canary", "candidate": "iris:2"})
    [error] = caught.value.errors()
    assert error["loc"] == ("traffic", "candidate")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "endpoints.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture()
def two_versions(registry, bc_package, bc_sklearn_package):
    first = registry.register(bc_package)
    registry.set_alias("breast_cancer", "production", first.version, reason="first model")
    registry.register(bc_sklearn_package)
    return registry


CANARY = """
    endpoints:
      - id: bc
        model: breast_cancer@production
        runner: {threads: 2}
        validation: {profile: reject}
        pipeline:
          postprocess:
            - name: threshold
              args: {threshold: 0.2, positive: 0}
        traffic:
          strategy: canary
          candidate: {candidate}
    """


def _arms(path: Path) -> tuple[EndpointSpec, list[ArmPlan], Origin]:
    endpoints, root = read_endpoints_file(path)
    [bc] = endpoints.endpoints
    return bc, bc.traffic.plan(bc.model), Origin(str(path), root, ("endpoints", 0))


def test_an_arm_is_served_with_every_other_setting_of_its_endpoint(
    tmp_path, two_versions, breast_cancer
):
    path = write(tmp_path, CANARY.replace("{candidate}", "breast_cancer:2"))
    bc, [_, candidate], origin = _arms(path)
    endpoint = Endpoint.for_arm(bc, candidate, two_versions, origin)
    try:
        assert endpoint.id == "bc"
        assert (endpoint.model.version, endpoint.pipeline.manifest.format) == (2, "sklearn")
        assert endpoint.spec.traffic == SingleTraffic() and endpoint.spec.model == "breast_cancer:2"
        assert endpoint.pipeline.context.resources.threads == 2
        assert endpoint.spec.validation.profile == "reject"
        assert endpoint.pipeline.overridden == ("postprocess",)
        assert endpoint.description == (
            f"serves breast_cancer:2 = breast_cancer:2; pipeline postprocess overridden at {path}:7"
        )
        answer = endpoint.predict(breast_cancer.X_test.head(3).to_dict(orient="records"))
        assert answer["model"] == {"name": "breast_cancer", "version": 2}
    finally:
        endpoint.close()
    assert bc.model == "breast_cancer@production"  # the endpoint's own spec is unchanged


def test_an_arm_whose_ref_does_not_resolve_names_the_line_of_that_ref(tmp_path, two_versions):
    path = write(tmp_path, CANARY.replace("{candidate}", "breast_cancer@staging"))
    bc, [primary, candidate], origin = _arms(path)
    Endpoint.for_arm(bc, primary, two_versions, origin).close()
    with pytest.raises(ConfigError) as caught:
        Endpoint.for_arm(bc, candidate, two_versions, origin)
    assert str(caught.value) == (
        f"{path}:12: endpoints.0.traffic.candidate: no alias 'staging' on 'breast_cancer'; "
        "aliases: production"
    )


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("page", ["README.md", "docs/architecture.md"])
def test_the_documented_examples_are_valid_and_show_every_strategy(page, tmp_path):
    text = (ROOT / page).read_text(encoding="utf-8")
    yaml_blocks = re.findall(r"^```yaml\n(.*?)^```", text, flags=re.M | re.S)
    heredocs = re.findall(r"^cat > \S+\.yaml <<EOF\n(.*?)^EOF$", text, flags=re.M | re.S)
    blocks = [b for b in yaml_blocks + heredocs if "traffic:" in b]
    strategies = set()
    for block in blocks:
        endpoints, _ = read_endpoints_file(write(tmp_path, block))
        strategies |= {spec.traffic.strategy for spec in endpoints.endpoints}
    assert strategies == {"shadow", "canary", "ab", "bandit"}


def test_agreement_without_any_request_to_compare_is_refused():
    with pytest.raises(ValueError, match="min_agreement needs requests to compare"):
        spec(
            {
                "strategy": "canary",
                "candidate": "bc:2",
                "min_agreement": 0.9,
                "agreement_percent": 0,
            }
        )
