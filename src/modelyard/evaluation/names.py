"""The metric names a gate may use, and the class names inside ``precision[malignant]``.

A class is named by the model's label (``malignant`` after a ``label_map`` postprocessor) or
by its raw label (``0``) when that is unambiguous. Names are checked before anything is
evaluated, so a typo in a gates file fails in a second, listing what exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelyard.core.errors import ConfigError
from modelyard.evaluation.metrics import PER_CLASS


@dataclass(frozen=True)
class MetricName:
    """A resolved metric: ``base`` alone (headline) or ``base`` of one class."""

    base: str
    cls: str | None = None

    def __str__(self) -> str:
        return self.base if self.cls is None else f"{self.base}[{self.cls}]"


@dataclass(frozen=True)
class MetricNames:
    """The vocabulary of one evaluation: headline metrics, classes and their raw labels."""

    headline: list[str]
    classes: list[str] | None = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)

    def known(self) -> list[str]:
        """Every valid metric name, per-class ones spelled with the class names."""
        classes = ["CLASS"] if self.classes is None else self.classes
        return self.headline + [f"{base}[{cls}]" for cls in classes for base in PER_CLASS]

    def class_name(self, label: str) -> str:
        """The class called ``label`` (its name or raw label); else an error listing them.

        With ``classes`` unknown (``None``: a gates file checked without a model) any label
        is accepted as it is.
        """
        if self.classes is None or label in self.classes:
            return label
        if label in self.aliases:
            return self.aliases[label]
        raws = [raw for raw in self.aliases if raw not in self.classes]
        raise ConfigError(
            f"unknown class {label!r}; known classes: {', '.join(self.classes + raws)}"
        )

    def resolve(self, name: str) -> MetricName:
        """Parse ``name``; an unknown metric or class is an error listing the known ones."""
        base, bracket, rest = name.partition("[")
        if bracket:
            if base in PER_CLASS and rest.endswith("]") and self.classes != []:
                return MetricName(base, self.class_name(rest[:-1]))
        elif base in self.headline:
            return MetricName(base)
        raise ConfigError(f"unknown metric {name!r}; known metrics: {', '.join(self.known())}")
