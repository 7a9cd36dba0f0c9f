"""Postprocessors: raw model outputs → the standard keys (``label``, ``probabilities``, …).

Before the declared steps run, :func:`standardize` renames the outputs the signature points
at (``label_output`` → ``label``, ``probability_output`` → ``probabilities``, ``value_output``
→ ``value``) and adds ``score`` when both label and probabilities came, so a model whose
runner already gives labels and probabilities needs no step at all.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import Field

from modelyard.core.errors import ConfigError
from modelyard.package.manifest import Signature
from modelyard.pipeline.components import ComponentArgs, NoArgs
from modelyard.pipeline.types import LABEL, PROBABILITIES, SCORE, VALUE, Arrays, Context

TOP_LABELS = "top_labels"
TOP_SCORES = "top_scores"


def standard_names(signature: Signature) -> dict[str, str]:
    """Runner output name → standard key, for the outputs the signature designates."""
    pairs = (
        (signature.label_output, LABEL),
        (signature.probability_output, PROBABILITIES),
        (signature.value_output, VALUE),
    )
    return {source: key for source, key in pairs if source is not None}


# Integer classes up to this value are looked up in a table, not searched: 4 µs for a
# 20-row batch, against 16 µs through ``searchsorted`` with a sorter.
_TABLE_BELOW = 4096


@lru_cache(maxsize=64)
def _class_lookup(classes: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """``(known, table, order)``: the classes, a label → index table when they are small
    non-negative ints (its last slot, -1, catches labels past the largest), else the sort."""
    known = np.asarray(classes)
    order = np.argsort(known, kind="stable")
    table = None
    if known.dtype.kind in "iu" and known.min() >= 0 and known.max() < _TABLE_BELOW:
        table = np.full(int(known.max()) + 2, -1, dtype=np.intp)
        table[known] = np.arange(len(known))
    return known, table, order


def class_indices(labels: np.ndarray, classes: tuple[Any, ...]) -> np.ndarray:
    """The position of each label in ``classes`` (vectorised; unknown labels are an error)."""
    known, table, order = _class_lookup(classes)
    if table is not None and labels.dtype.kind in "iu":
        # Out-of-range labels clip to an end of the table; the check below catches them.
        indices = table.take(labels, mode="clip")
    else:
        positions = np.searchsorted(known, labels, sorter=order).clip(0, len(known) - 1)
        indices = order[positions]
    if (known.take(indices) != labels).any():
        raise ConfigError(f"the model returned labels outside the signature's classes {classes}")
    return indices


def _need_classes(context: Context, step: str) -> tuple[Any, ...]:
    if not context.classes:
        raise ConfigError(f"{step} needs the signature's classes, and the model lists none")
    return context.classes


def standardize(outputs: Arrays, context: Context) -> Arrays:
    """The runner's outputs under standard keys (others kept by name), ``value`` as ``(n,)``."""
    names = standard_names(context.signature)
    result = {names.get(name, name): array for name, array in outputs.items()}
    value = result.get(VALUE)
    if value is not None and value.ndim == 2 and value.shape[1] == 1:
        result[VALUE] = value[:, 0]
    if LABEL in result and PROBABILITIES in result and SCORE not in result and context.classes:
        rows = np.arange(len(result[LABEL]))
        result[SCORE] = result[PROBABILITIES][rows, class_indices(result[LABEL], context.classes)]
    return result


class _Step:
    """Default ``bind`` for the steps that leave the context alone."""

    def bind(self, context: Context) -> Context:
        return context


class SourceArgs(ComponentArgs):
    """``source``: the output to read (default: the model's only output)."""

    source: str | None = None


def _source_key(context: Context, source: str | None) -> str:
    """The key under which ``source`` sits once :func:`standardize` has run."""
    outputs = [spec.name for spec in context.signature.outputs]
    if source is None:
        if len(outputs) != 1:
            raise ConfigError(f"the model has several outputs ({', '.join(outputs)}): set source")
        source = outputs[0]
    return standard_names(context.signature).get(source, source)


class Softmax(_Step):
    """Logits ``(n, k)`` → ``probabilities``, for models exported without their softmax."""

    def __init__(self, args: SourceArgs, context: Context) -> None:
        self._source = _source_key(context, args.source)

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        logits = outputs[self._source].astype(np.float64)
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return {**outputs, PROBABILITIES: shifted / shifted.sum(axis=-1, keepdims=True)}


class Sigmoid(_Step):
    """Logits → probabilities: one logit per row gives ``[1 - p, p]`` for two classes."""

    def __init__(self, args: SourceArgs, context: Context) -> None:
        self._source = _source_key(context, args.source)

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        logits = outputs[self._source].astype(np.float64)
        p = 1.0 / (1.0 + np.exp(-logits))
        if p.ndim == 1 or p.shape[1] == 1:
            p = p.reshape(-1)
            p = np.column_stack([1.0 - p, p])
        return {**outputs, PROBABILITIES: p}


class ThresholdArgs(ComponentArgs):
    """``positive`` is the class called when its probability reaches ``threshold``."""

    threshold: float = Field(0.5, ge=0.0, le=1.0)
    positive: str | int | None = Field(None, description="default: the last class")


class Threshold(_Step):
    """Binary decision at a chosen threshold instead of 0.5 (the cost of errors is uneven)."""

    def __init__(self, args: ThresholdArgs, context: Context) -> None:
        classes = _need_classes(context, "threshold")
        if len(classes) != 2:
            raise ConfigError(f"threshold needs two classes, the model has {len(classes)}")
        names = [str(c) for c in classes]
        positive = classes[-1] if args.positive is None else args.positive
        if str(positive) not in names:
            raise ConfigError(f"positive class {positive!r} is not one of {classes}")
        self._positive = names.index(str(positive))
        self._labels = np.asarray(classes)
        self._threshold = args.threshold

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        p = outputs[PROBABILITIES][:, self._positive]
        chosen = p >= self._threshold
        index = np.where(chosen, self._positive, 1 - self._positive)
        return {**outputs, LABEL: self._labels[index], SCORE: np.where(chosen, p, 1.0 - p)}


class Argmax(_Step):
    """The most probable class as ``label``, its probability as ``score``."""

    def __init__(self, args: NoArgs, context: Context) -> None:
        self._labels = np.asarray(_need_classes(context, "argmax"))

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        probabilities = outputs[PROBABILITIES]
        index = probabilities.argmax(axis=1)
        score = probabilities[np.arange(len(index)), index]
        return {**outputs, LABEL: self._labels[index], SCORE: score}


class TopKArgs(ComponentArgs):
    """``k`` most probable classes per row."""

    k: int = Field(3, ge=1)


class TopK(_Step):
    """The ``k`` most probable classes as ``top_labels``/``top_scores`` ``(n, k)``."""

    def __init__(self, args: TopKArgs, context: Context) -> None:
        self._labels = np.asarray(_need_classes(context, "top_k"))
        self._k = min(args.k, len(self._labels))

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        probabilities = outputs[PROBABILITIES]
        index = np.argsort(-probabilities, axis=1, kind="stable")[:, : self._k]
        scores = np.take_along_axis(probabilities, index, axis=1)
        return {**outputs, TOP_LABELS: self._labels[index], TOP_SCORES: scores}


class LabelMapArgs(ComponentArgs):
    """``mapping``: class as the model knows it → the name clients should see."""

    mapping: dict[str, str | int]


class LabelMap(_Step):
    """Renames classes (e.g. ``0`` → ``malignant``) in labels, top labels and the context."""

    def __init__(self, args: LabelMapArgs, context: Context) -> None:
        self._before = _need_classes(context, "label_map")
        names = [str(c) for c in self._before]
        unknown = sorted(set(args.mapping) - set(names))
        if unknown:
            raise ConfigError(f"label_map names unknown classes {unknown}; classes: {names}")
        self._after = tuple(
            args.mapping.get(name, c) for name, c in zip(names, self._before, strict=True)
        )
        self._renamed = np.asarray(self._after)

    def bind(self, context: Context) -> Context:
        return context.with_classes(self._after)

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        result = dict(outputs)
        for key in (LABEL, TOP_LABELS):
            if key in outputs:
                labels = outputs[key]
                flat = class_indices(labels.reshape(-1), self._before)
                result[key] = self._renamed[flat].reshape(labels.shape)
        return result


class AffineArgs(ComponentArgs):
    """``value * scale + shift`` (e.g. undo a standardised regression target)."""

    scale: float = 1.0
    shift: float = 0.0


class Affine(_Step):
    """Rescales the regression ``value``."""

    def __init__(self, args: AffineArgs, context: Context) -> None:
        self._scale, self._shift = args.scale, args.shift

    def apply(self, outputs: Arrays, context: Context) -> Arrays:
        return {**outputs, VALUE: outputs[VALUE] * self._scale + self._shift}
