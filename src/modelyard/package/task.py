"""The task of a model that cannot tell its own, as the user declares it.

A scikit-learn estimator knows whether it classifies; a TorchScript module (or a bare ONNX
graph) only returns tensors, so its format reports the task ``other``. The user declares the
task with the pipeline's formatter, ``pipeline={"formatter": {"name": "classification"}}``
(or ``"regression"``): the same choice decides what clients receive, and it is stored with the
weights, so the declaration is versioned with them.

A declared classifier's first float output must hold class probabilities (each row in [0, 1],
summing to 1), checked on the sample. Its classes are the sorted distinct labels of
``train_data``'s target — what ``LabelEncoder`` and scikit-learn's ``classes_`` give, so
probability column ``j`` is the ``j``-th label — or the column indices ``0 … k-1`` when no
training data is given. A ``label_map`` step renames them for clients.
"""

from __future__ import annotations

import numpy as np

from modelyard.core.errors import ConfigError
from modelyard.package.datasets import Labeled
from modelyard.package.manifest import PipelineSpec, Signature, Task
from modelyard.package.signature import build_signature, class_list

_DECLARED: dict[str, Task] = {"classification": "classification", "regression": "regression"}
_SUM_TOLERANCE = 1e-4
"""How far a float32 softmax row may sum from 1."""


def declared_task(signature: Signature, pipeline: PipelineSpec | None) -> Task | None:
    """The task the pipeline's formatter declares, for a signature whose format could not tell."""
    if signature.task != "other" or pipeline is None:
        return None
    if "formatter" not in pipeline.model_fields_set:
        return None
    return _DECLARED.get(pipeline.formatter.name)


def _classes(signature: Signature, train: Labeled | None) -> list[str | int]:
    floats = [spec for spec in signature.outputs if spec.dtype in ("float32", "float64")]
    if not floats:
        raise ConfigError(
            "the classification formatter needs a float output of class probabilities, and "
            f"the model returns {', '.join(f'{s.name} ({s.dtype})' for s in signature.outputs)}"
        )
    width = floats[0].shape[-1] if len(floats[0].shape) == 2 else None
    if train is None:
        if width is None:
            raise ConfigError(
                f"cannot tell the classes of {floats[0].name} (shape {floats[0].shape}): "
                "expected a [rows, classes] output, or pass train_data with its target"
            )
        return list(range(width))
    labels = class_list(np.unique(train.y.to_numpy()))
    if width is not None and len(labels) != width:
        raise ConfigError(
            f"{floats[0].name} gives {width} class probabilities but train_data's target has "
            f"{len(labels)} distinct labels {labels}: expected one column per label"
        )
    return labels


def with_task(signature: Signature, task: Task, train: Labeled | None) -> Signature:
    """The signature with the declared task, its output roles and (for a classifier) classes."""
    classes = _classes(signature, train) if task == "classification" else None
    return build_signature(signature.inputs, signature.outputs, signature.columns, task, classes)


def check_probabilities(signature: Signature, outputs: dict[str, np.ndarray]) -> None:
    """Refuse a declared classifier whose scores on the sample are not probabilities.

    Logits would otherwise be stored as probabilities, and every score, threshold and ROC AUC
    computed from them would be wrong without a word.
    """
    name = signature.probability_output
    if name is None:
        return
    p = outputs[name]
    in_range = p.ndim == 2 and bool((p >= 0).all() and (p <= 1).all())
    if in_range and np.allclose(p.sum(axis=1), 1.0, rtol=0.0, atol=_SUM_TOLERANCE):
        return
    raise ConfigError(
        f"{name} is not class probabilities on the sample: expected rows of values in [0, 1] "
        "summing to 1 (end the module with a softmax over the classes)"
    )
