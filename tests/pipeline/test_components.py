"""The component registry: lookups by name, typed args, third-party entry points."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from modelyard.core.errors import ConfigError
from modelyard.package.manifest import ComponentSpec
from modelyard.pipeline import Pipeline
from modelyard.pipeline.components import ComponentRegistry, ComponentType, Origin, default_registry
from modelyard.pipeline.formatters import RawFormatter
from modelyard.pipeline.postprocess import NoArgs
from modelyard.pipeline.spec import PipelineOverride


def test_an_unknown_name_from_a_manifest_names_the_stage_and_the_known_names(bc_package):
    pipeline = Pipeline.from_package(bc_package)
    manifest = pipeline.manifest.model_copy(
        update={
            "pipeline": pipeline.manifest.pipeline.model_copy(
                update={"formatter": ComponentSpec(name="json")}
            )
        }
    )
    with pytest.raises(ConfigError) as caught:
        Pipeline(manifest, package_dir=bc_package, version=3)
    assert str(caught.value) == (
        "manifest of breast_cancer:3: pipeline.formatter.name: unknown formatter 'json'; "
        "known: classification, raw, regression"
    )


def test_a_component_registered_twice_is_refused():
    raw = ComponentType("formatter", "raw", NoArgs, RawFormatter)
    with pytest.raises(ConfigError, match="formatter 'raw' is registered twice"):
        ComponentRegistry([raw, raw])


def test_a_factory_that_builds_the_wrong_thing_is_refused(bc_package):
    context = Pipeline.from_package(bc_package).context
    registry = ComponentRegistry(
        [ComponentType("encoder", "broken", NoArgs, lambda args, ctx: object())]
    )
    with pytest.raises(
        ConfigError, match="encoder 'broken' built a object, which lacks the methods of Encoder"
    ):
        registry.build("encoder", ComponentSpec(name="broken"), context, Origin("f.yaml"))


def test_third_party_components_come_from_the_entry_point_group(
    tmp_path: Path, monkeypatch, bc_package, breast_cancer
):
    (tmp_path / "clip_steps.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from modelyard.pipeline import ComponentArgs, ComponentType

            class ClipArgs(ComponentArgs):
                low: float = 0.1

            class Clip:
                def __init__(self, args, context):
                    self.low = args.low
                def bind(self, context):
                    return context
                def apply(self, outputs, context):
                    return {**outputs, "score": np.maximum(outputs["score"], self.low)}

            CLIP = ComponentType("postprocessor", "clip", ClipArgs, Clip)
            """
        )
    )
    dist = tmp_path / "clip_steps-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: clip-steps\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[modelyard.components]\nclip = clip_steps:CLIP\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    default_registry.cache_clear()
    try:
        assert "clip" in default_registry().names("postprocessor")
        override = {"postprocess": [{"name": "clip", "args": {"low": 0.95}}]}
        pipeline = Pipeline.from_package(bc_package, PipelineOverride.model_validate(override))
        scores = [
            p["score"]
            for p in pipeline.predict(breast_cancer.X_test.head(20).to_numpy().tolist())[
                "predictions"
            ]
        ]
        assert min(scores) == pytest.approx(0.95)
    finally:
        sys.modules.pop("clip_steps", None)
        default_registry.cache_clear()
