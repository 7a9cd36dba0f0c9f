"""Inference pipelines: components by name, runners, and endpoints declared in YAML."""

from modelyard.pipeline.components import ComponentArgs, ComponentRegistry, ComponentType, NoArgs
from modelyard.pipeline.endpoint import Endpoint, load_endpoints
from modelyard.pipeline.pipeline import Pipeline, concat_batches, split_outputs
from modelyard.pipeline.spec import EndpointsFile, EndpointSpec
from modelyard.pipeline.types import Batch, Context, Encoder, Formatter, Postprocessor, Runner

__all__ = [
    "Batch",
    "ComponentArgs",
    "ComponentRegistry",
    "ComponentType",
    "Context",
    "Encoder",
    "Endpoint",
    "EndpointSpec",
    "EndpointsFile",
    "Formatter",
    "NoArgs",
    "Pipeline",
    "Postprocessor",
    "Runner",
    "concat_batches",
    "load_endpoints",
    "split_outputs",
]
