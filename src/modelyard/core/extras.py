"""Optional dependencies: which extra installs a library, and the error when it is missing.

The base install serves ONNX endpoints; training-time libraries (conversion, evaluation,
data files) come with extras so a production image carries none of them. A feature imports
its library where it is used, and a missing one becomes a one-line :class:`MissingExtraError`
naming the ``pip install`` command instead of a traceback.
"""

from __future__ import annotations

from modelyard.core.errors import ModelyardError

# Top-level module -> (distribution to name, extra that installs it).
EXTRAS: dict[str, tuple[str, str]] = {
    "sklearn": ("scikit-learn", "train"),
    "skl2onnx": ("skl2onnx", "train"),
    "onnx": ("onnx", "train"),
    "scipy": ("scipy", "train"),
    "pandas": ("pandas", "train"),
    "joblib": ("joblib", "train"),
    "pyarrow": ("pyarrow", "parquet"),
    "psycopg": ("psycopg", "postgres"),
    "torch": ("torch", "torch"),
    "ray": ("ray", "ray"),
    "mlflow": ("mlflow-skinny", "mlflow"),
    "skops": ("skops", "mlflow"),
    "alembic": ("alembic", "mlflow"),
    "s3fs": ("s3fs", "s3"),
}


class MissingExtraError(ModelyardError):
    """A feature whose optional dependency is not installed."""


def install_hint(module: str) -> str | None:
    """``NAME: pip install "modelyard[EXTRA]"`` for a module an extra provides, else None."""
    known = EXTRAS.get(module.partition(".")[0])
    if known is None:
        return None
    distribution, extra = known
    return f'{distribution}: pip install "modelyard[{extra}]"'


def missing_extra(error: ImportError, feature: str) -> ModelyardError | ImportError:
    """The one-line error for ``feature`` failing to import an extra's library.

    An import error for a module no extra provides is a bug (or a broken install) and is
    returned unchanged, so the caller re-raises it as it was.
    """
    hint = install_hint(error.name or "")
    if hint is None:
        return error
    return MissingExtraError(f"{feature} needs {hint}")
