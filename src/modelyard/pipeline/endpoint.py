"""Endpoints: what applications call, resolved from ``endpoints.yaml`` through the registry.

An application calls an endpoint id and never learns which version, preprocessing or
threshold answers: the endpoint resolves its model reference in the registry and serves that
version's own pipeline. ``reload`` resolves the reference again, which is how an alias move
(promotion, rollback) reaches a running server.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from modelyard.core.config import load_yaml, validate_node
from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.pipeline.components import Origin
from modelyard.pipeline.pipeline import ModelInfo, Pipeline
from modelyard.pipeline.spec import EndpointsFile, EndpointSpec
from modelyard.pipeline.traffic import ArmPlan, SingleTraffic

if TYPE_CHECKING:
    from modelyard.registry import Registry


class Endpoint:
    """One endpoint, its model resolved and loaded; ``predict`` answers as the server does."""

    def __init__(
        self,
        spec: EndpointSpec,
        registry: Registry,
        origin: Origin | None = None,
        *,
        ref_loc: tuple[str | int, ...] = ("model",),
    ):
        self.spec = spec
        self._registry = registry
        self._origin = origin or Origin(f"endpoint {spec.id}")
        self._ref_loc = ref_loc
        self.pipeline = self._resolve()

    @property
    def id(self) -> str:
        """What clients call."""
        return self.spec.id

    @property
    def origin(self) -> Origin:
        """Where the endpoint's spec was written (errors point at its lines)."""
        return self._origin

    @property
    def model(self) -> ModelInfo:
        """The model version answering now."""
        return self.pipeline.model

    @property
    def description(self) -> str:
        """The spec's description, the version serving, and any pipeline override."""
        parts = [self.spec.description] if self.spec.description else []
        parts.append(f"serves {self.spec.model} = {self.model.name}:{self.model.version}")
        if self.pipeline.overridden:
            where = self._origin.at("pipeline").where()
            parts.append(f"pipeline {', '.join(self.pipeline.overridden)} overridden at {where}")
        return "; ".join(parts)

    @classmethod
    def from_yaml(
        cls, path: str | Path, endpoint_id: str | None = None, registry: Registry | None = None
    ) -> Endpoint:
        """The endpoint ``endpoint_id`` of a file (or its only endpoint), loaded."""
        endpoints, root = read_endpoints_file(path)
        specs = endpoints.endpoints
        if endpoint_id is None and len(specs) > 1:
            ids = ", ".join(spec.id for spec in specs)
            raise ConfigError(f"{path} declares several endpoints ({ids}): pass endpoint_id")
        for i, spec in enumerate(specs):
            if endpoint_id is None or spec.id == endpoint_id:
                origin = Origin(str(path), root, ("endpoints", i))
                return cls(spec, registry or _default_registry(), origin)
        ids = ", ".join(spec.id for spec in specs)
        raise NotFoundError(f"{path} has no endpoint {endpoint_id!r}; it declares: {ids}")

    @classmethod
    def for_arm(
        cls, spec: EndpointSpec, arm: ArmPlan, registry: Registry, origin: Origin
    ) -> Endpoint:
        """The endpoint serving one arm of ``spec``'s rollout: ``arm.ref`` with every other
        setting of ``spec`` (pipeline override, runner, limits, validation), alone.

        ``origin`` is the endpoint spec's; errors resolving or loading the version name the
        line where ``arm.ref`` is written (``arm.loc``), not the endpoint's ``model:``.
        """
        alone = spec.model_copy(update={"model": arm.ref, "traffic": SingleTraffic()})
        return cls(alone, registry, origin, ref_loc=arm.loc)

    def predict(self, payload: Any) -> dict[str, Any]:
        """Answer one request: ``{"predictions": [...], "model": {"name", "version"}}``."""
        return self.pipeline.predict(payload)

    def predict_batch(self, payloads: Sequence[Any]) -> list[dict[str, Any]]:
        """Answer several requests with one runner call (same answers as ``predict``)."""
        return self.pipeline.predict_batch(payloads)

    def reload(self) -> bool:
        """Resolve the model reference again; load and switch to a new version if it moved.

        Returns whether the version changed. The previous pipeline is closed after the switch:
        callers still holding it (requests in flight) should finish before calling this.
        """
        if not self.moved():
            return False
        previous, self.pipeline = self.pipeline, self._resolve()
        previous.close()
        return True

    def moved(self) -> bool:
        """Whether the model reference now names another version than the one loaded.

        Compared by number and digest: identical bytes registered as a new version are a
        move all the same (responses carry the version number).
        """
        current = self._registry.get(self.spec.ref)
        return (current.version, current.digest) != (self.model.version, self.pipeline.digest)

    def close(self) -> None:
        """Release the model."""
        self.pipeline.close()

    def _resolve(self) -> Pipeline:
        try:
            version = self._registry.get(self.spec.ref)
        except NotFoundError as error:
            raise self._origin.at(*self._ref_loc).error(str(error)) from None
        return Pipeline.from_version(
            version,
            self._registry,
            self.spec.pipeline,
            self.spec.runner.as_resources(self.spec.limits),
            override_origin=self._origin.at("pipeline"),
            profile_policy=self.spec.validation.profile,
        )


def read_endpoints_file(path: str | Path) -> tuple[EndpointsFile, yaml.Node | None]:
    """The validated file and its YAML node tree; every error names the file and line."""
    data, root = load_yaml(path)
    if not data or (isinstance(data, dict) and not data.get("endpoints")):
        raise ConfigError(
            f"{path}: no endpoints: write 'endpoints:' with at least one entry (id, model)"
        )
    endpoints = validate_node(EndpointsFile, data, source=str(path), root=root)
    seen: dict[str, int] = {}
    for i, spec in enumerate(endpoints.endpoints):
        if spec.id in seen:
            origin = Origin(str(path), root, ("endpoints", i, "id"))
            raise origin.error(
                f"endpoint id {spec.id!r} is already used by endpoints.{seen[spec.id]}"
            )
        seen[spec.id] = i
    return endpoints, root


def load_endpoints(path: str | Path, registry: Registry | None = None) -> dict[str, Endpoint]:
    """Every endpoint of a file, by id, each with its model resolved and loaded."""
    endpoints, root = read_endpoints_file(path)
    registry = registry or _default_registry()
    return {
        spec.id: Endpoint(spec, registry, Origin(str(path), root, ("endpoints", i)))
        for i, spec in enumerate(endpoints.endpoints)
    }


def _default_registry() -> Registry:
    """The registry configured for this machine (environment, else the nearest .modelyard/).

    Imported here, not at module level: the pipeline layer otherwise only needs an object
    with ``get`` and ``verified``, and must not depend on the registry's database code.
    """
    from modelyard.registry import Registry

    return Registry(create=False)  # serving reads: never create an empty registry
