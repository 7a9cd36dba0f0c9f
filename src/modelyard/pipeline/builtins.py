"""The components modelyard ships, as the registry lists them (see :mod:`.components`)."""

from __future__ import annotations

from modelyard.pipeline import formatters, postprocess
from modelyard.pipeline.components import ComponentType, NoArgs
from modelyard.pipeline.encoders.image import ImageArgs, ImageEncoder
from modelyard.pipeline.encoders.tabular import TabularArgs, TabularEncoder
from modelyard.pipeline.encoders.tensor import TensorArgs, TensorEncoder
from modelyard.pipeline.runners.http import HttpArgs, HttpRunner
from modelyard.pipeline.runners.onnx import OnnxArgs, onnx_runner
from modelyard.pipeline.runners.sklearn import SklearnArgs, sklearn_runner
from modelyard.pipeline.runners.torchscript import TorchScriptArgs, torchscript_runner
from modelyard.pipeline.runners.v2 import V2Args, V2Runner

BUILTINS: tuple[ComponentType, ...] = (
    ComponentType("encoder", "tabular", TabularArgs, TabularEncoder),
    ComponentType("encoder", "image", ImageArgs, ImageEncoder),
    ComponentType("encoder", "tensor", TensorArgs, TensorEncoder),
    ComponentType("runner", "onnx", OnnxArgs, onnx_runner),
    ComponentType("runner", "sklearn", SklearnArgs, sklearn_runner),
    ComponentType("runner", "torchscript", TorchScriptArgs, torchscript_runner),
    ComponentType("runner", "v2", V2Args, V2Runner),
    ComponentType("runner", "http", HttpArgs, HttpRunner),
    ComponentType("postprocessor", "softmax", postprocess.SourceArgs, postprocess.Softmax),
    ComponentType("postprocessor", "sigmoid", postprocess.SourceArgs, postprocess.Sigmoid),
    ComponentType("postprocessor", "threshold", postprocess.ThresholdArgs, postprocess.Threshold),
    ComponentType("postprocessor", "argmax", NoArgs, postprocess.Argmax),
    ComponentType("postprocessor", "top_k", postprocess.TopKArgs, postprocess.TopK),
    ComponentType("postprocessor", "label_map", postprocess.LabelMapArgs, postprocess.LabelMap),
    ComponentType("postprocessor", "affine", postprocess.AffineArgs, postprocess.Affine),
    ComponentType(
        "formatter",
        "classification",
        formatters.ClassificationArgs,
        formatters.ClassificationFormatter,
    ),
    ComponentType("formatter", "regression", NoArgs, formatters.RegressionFormatter),
    ComponentType("formatter", "raw", NoArgs, formatters.RawFormatter),
)
