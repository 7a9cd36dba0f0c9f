"""What the batch tests share besides fixtures: where the models are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelyard.demo import Demo
from modelyard.registry import Registry


@dataclass(frozen=True)
class Models:
    """Where the models are, and an endpoints file with an override of the cancer pipeline."""

    demo: Demo
    endpoints_file: Path

    def registry(self) -> Registry:
        return Registry(self.demo.registry_url, self.demo.artifacts, create=False)
