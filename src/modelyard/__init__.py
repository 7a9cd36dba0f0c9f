"""modelyard: from a trained model to a versioned, validated, monitored production endpoint.

The names below are the public face; everything else may move between releases::

    import modelyard
    version = modelyard.log_model(model, "fraud", sample=X.head(50), train_data=(X, y))
    modelyard.load("fraud@production").predict(X)
"""

from modelyard.api import load, log_file, log_model
from modelyard.evaluation import evaluate, promote
from modelyard.pipeline import Endpoint, load_endpoints
from modelyard.registry import Registry

__version__ = "0.1.0"

__all__ = [
    "Endpoint",
    "Registry",
    "__version__",
    "evaluate",
    "load",
    "load_endpoints",
    "log_file",
    "log_model",
    "promote",
]
