"""The model registry: numbered immutable versions, movable aliases with an audit trail."""

from modelyard.registry.location import RegistryNotFoundError
from modelyard.registry.registry import Registry
from modelyard.registry.types import AliasEvent, ModelSummary, ModelVersion

__all__ = ["AliasEvent", "ModelSummary", "ModelVersion", "Registry", "RegistryNotFoundError"]
