"""The trivial model beside every headline figure: what a model must beat to be worth serving.

Classification: scikit-learn's ``DummyClassifier(strategy="prior")`` fitted on the evaluation
targets, which always answers the majority class with the class frequencies as probabilities.
Regression: ``DummyRegressor(strategy="mean")``, which always answers the mean target.
"""

from __future__ import annotations

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor

from modelyard.evaluation.outcomes import ClassificationOutcomes, Outcomes, RegressionOutcomes


def baseline_outcomes(outcomes: Outcomes) -> Outcomes:
    """The outcomes the trivial model would have had on the same rows."""
    features = np.zeros((outcomes.rows, 1))
    if isinstance(outcomes, RegressionOutcomes):
        regressor = DummyRegressor(strategy="mean").fit(features, outcomes.y_true)
        return RegressionOutcomes(outcomes.y_true, regressor.predict(features))
    dummy = DummyClassifier(strategy="prior").fit(features, outcomes.y_true)
    # The dummy only knows the classes present in y_true; widen its columns to every class.
    proba = np.zeros((outcomes.rows, len(outcomes.classes)))
    proba[:, dummy.classes_] = dummy.predict_proba(features)
    return ClassificationOutcomes(
        outcomes.y_true, dummy.predict(features).astype(np.int64), proba, outcomes.classes
    )
