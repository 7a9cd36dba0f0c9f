"""modelyard: from a trained model to a versioned, validated, monitored production endpoint.

The names below are the public face; everything else may move between releases::

    import modelyard
    version = modelyard.log_model(model, "fraud", sample=X.head(50), train_data=(X, y))
    modelyard.load("fraud@production").predict(X)

They are imported on first use (PEP 562), so ``import modelyard`` and every CLI start stay
fast: scikit-learn, skl2onnx and onnxruntime load only when a name that needs them is touched.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from modelyard.core.extras import missing_extra

__version__ = "0.1.0"

_PUBLIC = {
    "log_model": "modelyard.api",
    "log_file": "modelyard.api",
    "load": "modelyard.api",
    "Registry": "modelyard.registry",
    "Endpoint": "modelyard.pipeline",
    "load_endpoints": "modelyard.pipeline",
    "evaluate": "modelyard.evaluation",
    "promote": "modelyard.evaluation",
    "add_labels": "modelyard.monitoring.labelled",
    "predictions": "modelyard.monitoring.read",
    "score": "modelyard.batch",
    "Client": "modelyard.client",
    "AsyncClient": "modelyard.client",
    "ClientError": "modelyard.client",
    "RequestRefused": "modelyard.client",
    "BadRequest": "modelyard.client",
    "InvalidInput": "modelyard.client",
    "Unauthorized": "modelyard.client",
    "Forbidden": "modelyard.client",
    "NotFound": "modelyard.client",
    "Conflict": "modelyard.client",
    "TooLarge": "modelyard.client",
    "ServerError": "modelyard.client",
    "Unavailable": "modelyard.client",
    "ServerTimeout": "modelyard.client",
    "Timeout": "modelyard.client",
    "ConnectionFailed": "modelyard.client",
    "import_mlflow": "modelyard.importers",
}

__all__ = [
    "AsyncClient",
    "BadRequest",
    "Client",
    "ClientError",
    "Conflict",
    "ConnectionFailed",
    "Endpoint",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Registry",
    "RequestRefused",
    "ServerError",
    "ServerTimeout",
    "Timeout",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
    "__version__",
    "add_labels",
    "evaluate",
    "import_mlflow",
    "load",
    "load_endpoints",
    "log_file",
    "log_model",
    "predictions",
    "promote",
    "score",
]

if TYPE_CHECKING:
    from modelyard.api import load, log_file, log_model
    from modelyard.batch import score
    from modelyard.client import (
        AsyncClient,
        BadRequest,
        Client,
        ClientError,
        Conflict,
        ConnectionFailed,
        Forbidden,
        InvalidInput,
        NotFound,
        RequestRefused,
        ServerError,
        ServerTimeout,
        Timeout,
        TooLarge,
        Unauthorized,
        Unavailable,
    )
    from modelyard.evaluation import evaluate, promote
    from modelyard.importers import import_mlflow
    from modelyard.monitoring.labelled import add_labels
    from modelyard.monitoring.read import predictions
    from modelyard.pipeline import Endpoint, load_endpoints
    from modelyard.registry import Registry


def __dir__() -> list[str]:
    """The public names, though most are not imported yet (so ``dir`` and completion see them)."""
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'modelyard' has no attribute {name!r}")
    try:
        value = getattr(import_module(module), name)
    except ImportError as error:  # e.g. log_model without the train extra
        raise missing_extra(error, f"modelyard.{name}") from None
    globals()[name] = value
    return value
