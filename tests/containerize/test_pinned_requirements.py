"""Which version of each distribution an image installs, when the packages it serves record
different ones: a pickle's recorded versions are binding, ONNX Runtime reads older models."""

from __future__ import annotations

import dataclasses

import pytest

from modelyard.containerize.requirements import serving_pins
from modelyard.core.errors import ConfigError
from modelyard.package.manifest import Requirement
from modelyard.registry import Registry
from modelyard.registry.types import ModelVersion


def _recording(version: ModelVersion, number: int, fmt: str, **recorded: str) -> ModelVersion:
    """``version`` as if number ``number`` of format ``fmt`` had recorded ``recorded``."""
    requirements = [Requirement(name=n.replace("_", "-"), version=v) for n, v in recorded.items()]
    manifest = version.manifest.model_copy(update={"format": fmt, "requirements": requirements})
    return dataclasses.replace(version, version=number, manifest=manifest)


@pytest.fixture
def cancer(source: Registry) -> ModelVersion:
    return source.get("breast_cancer@production")


def _pinned(versions: list[ModelVersion]) -> dict[str, str]:
    return {pin.name: pin.version for pin in serving_pins([], versions)}


def test_the_newest_recorded_onnxruntime_serves_every_onnx_version(cancer: ModelVersion) -> None:
    older = _recording(cancer, 1, "onnx", onnxruntime="1.18.0", onnx="1.16.0")
    newer = _recording(cancer, 2, "onnx", onnxruntime="1.19.2", onnx="1.17.0")
    pins = _pinned([newer, older])
    assert pins["onnxruntime"] == "1.19.2"
    assert "onnx" not in pins  # recorded for the conversion, not loaded by the server


def test_a_pickle_brings_everything_it_recorded(cancer: ModelVersion) -> None:
    pickled = _recording(cancer, 1, "sklearn", scikit_learn="1.5.2", joblib="1.4.2")
    pins = _pinned([pickled])
    assert (pins["scikit-learn"], pins["joblib"]) == ("1.5.2", "1.4.2")


def test_two_pickles_recording_different_versions_cannot_share_an_image(
    cancer: ModelVersion,
) -> None:
    first = _recording(cancer, 1, "sklearn", scikit_learn="1.5.2")
    second = _recording(cancer, 2, "sklearn", scikit_learn="1.6.1")
    with pytest.raises(ConfigError) as raised:
        serving_pins([], [first, second])
    assert str(raised.value) == (
        "breast_cancer:1 records scikit-learn 1.5.2 and breast_cancer:2 records 1.6.1: one image "
        "installs one version; serve them from separate images"
    )
