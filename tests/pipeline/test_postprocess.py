"""Postprocessors on known arrays: each turns outputs into the standard keys."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.core.errors import ConfigError
from modelyard.package.manifest import Signature, TensorSpec
from modelyard.pipeline import postprocess as pp
from modelyard.pipeline.types import Context


def _context(classes=(0, 1), outputs=("logits",)) -> Context:
    signature = Signature(
        inputs=[TensorSpec(name="x", dtype="float32", shape=[None, 2])],
        outputs=[
            TensorSpec(name=name, dtype="float32", shape=[None, len(classes)]) for name in outputs
        ],
        classes=list(classes),
        task="classification",
    )
    return Context(signature=signature, name="m", classes=tuple(classes))


def test_standardize_renames_designated_outputs_and_adds_the_score():
    signature = Signature(
        inputs=[TensorSpec(name="x", dtype="float32", shape=[None, 2])],
        outputs=[
            TensorSpec(name="out_label", dtype="int64", shape=[None]),
            TensorSpec(name="out_p", dtype="float32", shape=[None, 2]),
        ],
        classes=[3, 7],
        label_output="out_label",
        probability_output="out_p",
    )
    context = Context(signature=signature, name="m", classes=(3, 7))
    outputs = pp.standardize(
        {"out_label": np.array([7, 3]), "out_p": np.array([[0.4, 0.6], [0.9, 0.1]])}, context
    )
    assert outputs["label"].tolist() == [7, 3]
    assert outputs["score"].tolist() == [0.6, 0.9]


def test_softmax_then_argmax_picks_the_largest_logit():
    context = _context(classes=("a", "b", "c"))
    logits = {"logits": np.array([[1.0, 3.0, 2.0], [0.0, 0.0, 5.0]])}
    probabilities = pp.Softmax(pp.SourceArgs(), context).apply(logits, context)
    np.testing.assert_allclose(probabilities["probabilities"].sum(axis=1), [1.0, 1.0])
    result = pp.Argmax(pp.NoArgs(), context).apply(probabilities, context)
    assert result["label"].tolist() == ["b", "c"]
    np.testing.assert_allclose(result["score"], probabilities["probabilities"].max(axis=1))


def test_sigmoid_of_one_logit_gives_two_class_probabilities():
    context = _context()
    result = pp.Sigmoid(pp.SourceArgs(), context).apply(
        {"logits": np.array([[0.0], [2.0]])}, context
    )
    np.testing.assert_allclose(result["probabilities"][:, 1], [0.5, 1 / (1 + np.exp(-2))])


def test_threshold_calls_the_positive_class_at_the_threshold():
    context = _context(classes=("ham", "spam"))
    step = pp.Threshold(pp.ThresholdArgs(threshold=0.2, positive="spam"), context)
    result = step.apply(
        {"probabilities": np.array([[0.85, 0.15], [0.8, 0.2], [0.1, 0.9]])}, context
    )
    assert result["label"].tolist() == ["ham", "spam", "spam"]
    np.testing.assert_allclose(result["score"], [0.85, 0.2, 0.9])


def test_threshold_refuses_an_unknown_positive_class():
    with pytest.raises(ConfigError, match=r"positive class 'eggs' is not one of \('ham', 'spam'\)"):
        pp.Threshold(pp.ThresholdArgs(positive="eggs"), _context(classes=("ham", "spam")))


def test_top_k_and_label_map_rename_top_labels_and_the_classes():
    context = _context(classes=(0, 1, 2))
    outputs = {"probabilities": np.array([[0.2, 0.5, 0.3]]), "label": np.array([1])}
    top = pp.TopK(pp.TopKArgs(k=2), context).apply(outputs, context)
    mapping = pp.LabelMap(pp.LabelMapArgs(mapping={"0": "a", "1": "b", "2": "c"}), context)
    renamed = mapping.apply(top, context)
    assert renamed["top_labels"].tolist() == [["b", "c"]]
    assert renamed["label"].tolist() == ["b"]
    np.testing.assert_allclose(renamed["top_scores"], [[0.5, 0.3]])
    assert mapping.bind(context).classes == ("a", "b", "c")


def test_label_map_refuses_classes_the_model_does_not_have():
    with pytest.raises(
        ConfigError, match=r"label_map names unknown classes \['9'\]; classes: \['0', '1'\]"
    ):
        pp.LabelMap(pp.LabelMapArgs(mapping={"9": "x"}), _context())


def test_affine_rescales_the_value():
    context = _context()
    result = pp.Affine(pp.AffineArgs(scale=2.0, shift=-1.0), context).apply(
        {"value": np.array([1.0, 3.0])}, context
    )
    assert result["value"].tolist() == [1.0, 5.0]


def test_source_must_be_named_when_the_model_has_several_outputs():
    with pytest.raises(ConfigError, match=r"several outputs \(a, b\): set source"):
        pp.Softmax(pp.SourceArgs(), _context(outputs=("a", "b")))


@pytest.mark.parametrize(
    ("labels", "classes", "expected"),
    [
        ([1, 0, 3], (0, 1, 3), [1, 0, 2]),  # integer classes: the lookup table
        ([3, 1], (3, 1), [0, 1]),  # in their own (unsorted) order
        (["b", "a"], ("a", "b"), [1, 0]),  # other classes: the sorted search
    ],
)
def test_class_indices_find_each_label(labels, classes, expected):
    assert pp.class_indices(np.array(labels), classes).tolist() == expected


@pytest.mark.parametrize(
    ("labels", "classes"),
    [([5], (0, 1, 3)), ([-1], (0, 1, 3)), ([2], (0, 1, 3)), ([1], ("a", "b")), (["a"], (0, 1))],
)
def test_class_indices_refuse_labels_outside_the_classes(labels, classes):
    with pytest.raises(ConfigError) as caught:
        pp.class_indices(np.array(labels), classes)
    assert str(caught.value) == (
        f"the model returned labels outside the signature's classes {classes}"
    )
