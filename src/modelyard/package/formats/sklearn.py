"""The ``sklearn`` format: the fitted estimator itself, pickled with joblib.

For models skl2onnx cannot convert, or when the exact Python estimator must serve. A pickle
runs arbitrary code when loaded, so the loader only opens it after the package's sha256 check
and refuses it when the captured library versions differ from the installed ones.
The session speaks the same feeds as the ONNX one (float64 inputs, so no value is rounded on
the way in) and returns outputs named as skl2onnx names them: ``label``/``probabilities`` or
``variable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from modelyard.package.estimators import feeds_per_column, task_of
from modelyard.package.formats.base import NoOptions, Prepared, parse_options
from modelyard.package.manifest import Format, Signature, TensorSpec
from modelyard.package.signature import (
    class_list,
    column_inputs,
    columns_of,
    dtype_of,
    from_feeds,
    stacked_input,
)


class SklearnSession:
    """A fitted estimator answering runner feeds."""

    def __init__(self, model: Any, signature: Signature) -> None:
        self._model = model
        self._signature = signature
        # fitted on an array: fed an array, or scikit-learn warns about feature names
        self._named = getattr(model, "feature_names_in_", None) is not None

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Rebuild the fit-time table from the feeds and call predict (and predict_proba)."""
        signature = self._signature
        data = from_feeds(signature, feeds, named=self._named)
        outputs: dict[str, np.ndarray] = {}
        if signature.value_output is not None:
            values = np.asarray(self._model.predict(data), dtype=np.float64)
            outputs[signature.value_output] = values.reshape(len(values), -1)
        if signature.label_output is not None:
            outputs[signature.label_output] = np.asarray(self._model.predict(data))
        if signature.probability_output is not None:
            outputs[signature.probability_output] = np.asarray(self._model.predict_proba(data))
        return outputs


def _outputs(model: Any, sample: Any, classification: bool) -> list[TensorSpec]:
    predictions = np.asarray(model.predict(sample))
    if not classification:
        width = 1 if predictions.ndim == 1 else predictions.shape[1]
        return [TensorSpec(name="variable", dtype="float64", shape=[None, width])]
    outputs = [TensorSpec(name="label", dtype=dtype_of(predictions.dtype), shape=[None])]
    if hasattr(model, "predict_proba"):
        width = len(model.classes_)
        outputs.append(TensorSpec(name="probabilities", dtype="float64", shape=[None, width]))
    return outputs


class SklearnFormat:
    """``model.joblib`` + the scikit-learn it was fitted with."""

    name: Format = "sklearn"
    model_file = "model.joblib"
    requirements: tuple[str, ...] = ("scikit-learn", "numpy", "scipy", "joblib")
    pins_requirements = True

    def accepts(self, model: Any) -> bool:
        """Never the default: scikit-learn models go to ONNX unless asked otherwise."""
        return False

    def prepare(self, model: Any, sample: Any) -> Prepared:
        """Infer the signature by calling the estimator on the sample."""
        task = task_of(model)
        columns = columns_of(sample)
        if feeds_per_column(model, columns):
            inputs = column_inputs(columns, "float64")
        else:
            inputs = stacked_input(np.shape(sample)[1], "float64")
        classification = task == "classification"
        outputs = _outputs(model, sample, classification)
        names = {output.name for output in outputs}
        signature = Signature(
            inputs=inputs,
            outputs=outputs,
            columns=columns,
            task=task,
            classes=class_list(model.classes_) if classification else None,
            label_output="label" if classification else None,
            probability_output="probabilities" if "probabilities" in names else None,
            value_output=None if classification else "variable",
        )
        estimator = f"{type(model).__module__}.{type(model).__qualname__}"
        return Prepared(model, signature, "sklearn", {"estimator": estimator})

    def save(self, artifact: Any, path: Path) -> None:
        """Pickle with joblib (efficient for the numpy arrays inside estimators)."""
        joblib.dump(artifact, path)

    def open(self, path: Path, signature: Signature, **options: Any) -> SklearnSession:
        """Unpickle a verified file; this format takes no runtime options."""
        parse_options(self.name, NoOptions, options)
        return SklearnSession(joblib.load(path), signature)
