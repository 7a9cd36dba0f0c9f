"""What is scored: a model version or an endpoint, named so that a worker process can load it.

A :class:`Target` is a few strings (picklable), so each worker of the local engine (and each
actor of a distributed one) loads the version itself, verified by digest like every load.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.core.errors import ConfigError
from modelyard.pipeline.endpoint import Endpoint
from modelyard.pipeline.pipeline import Pipeline
from modelyard.registry import Registry


@dataclass(frozen=True)
class Target:
    """``ref`` is ``name@alias`` or ``name:V``, or an endpoint id of the ``endpoints`` file."""

    ref: str
    registry_url: str
    artifacts: str | None = None
    endpoints: str | None = None

    def __post_init__(self) -> None:
        if self.endpoints is None and "@" not in self.ref and ":" not in self.ref:
            raise ConfigError(
                f"model reference {self.ref!r}: expected name@alias, name:VERSION, "
                "or an endpoint id with --endpoints"
            )

    def load(self) -> Pipeline:
        """The loaded pipeline: the version's own, with the endpoint's overrides if any."""
        registry = Registry(self.registry_url, self.artifacts, create=False)
        try:  # the verified package is all a loaded pipeline needs: no reload in a batch run
            if self.endpoints is not None:
                return Endpoint.from_yaml(self.endpoints, self.ref, registry).pipeline
            return Pipeline.from_version(registry.get(self.ref), registry)
        finally:
            registry.close()
