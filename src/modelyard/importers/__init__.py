"""Bring models made elsewhere into the registry, converted and proved like any logged model.

Only MLflow today (:func:`import_mlflow`). An importer reads the source's model and its record
of the run, then hands the model to the same package builder ``log_model`` uses: there is no
second conversion path.
"""

from __future__ import annotations

from modelyard.importers.mlflow import import_mlflow

__all__ = ["import_mlflow"]
