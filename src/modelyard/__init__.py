"""modelyard: from a trained model to a versioned, validated, monitored production endpoint."""

__version__ = "0.1.0"
