"""Where an MLflow model comes from: the kind of its URI, the name it implies, a local copy.

``models:/`` and ``runs:/`` URIs are downloaded by MLflow itself (so every tracking store and
artifact repository MLflow knows works); a local folder is read where it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from modelyard.core.errors import ConfigError, NotFoundError

URI_FORMS = (
    "models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN_ID/PATH or a local folder holding "
    "an MLmodel file"
)

_REGISTERED = re.compile(r"models:/(?P<name>[^/@]+)(?:/[^/]+|@[^/]+)")


@dataclass(frozen=True)
class Source:
    """An MLflow model on local disk, and how lineage names where it came from."""

    uri: str
    folder: Path
    registered_name: str | None
    remote: bool


_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def existing_store(uri: str | None) -> None:
    """Refuse a SQLite tracking URI whose file does not exist.

    MLflow would create an empty store there and then report the model missing from it,
    which hides the mistyped path the user has to fix.
    """
    if uri is None or not uri.startswith("sqlite:"):
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(uri).database
    except ArgumentError:  # not a URL SQLAlchemy reads: MLflow's own error says why
        return
    if database and database != ":memory:" and not Path(database).is_file():
        raise NotFoundError(
            f"tracking URI {uri} names no file: expected the SQLite file of an existing "
            "MLflow tracking store (--tracking-uri)"
        )


@contextmanager
def tracking_store(uri: str | None) -> Iterator[None]:
    """MLflow's process-wide tracking and registry URIs set to ``uri`` inside the block.

    MLflow 3.17 resolves a registered version's files through the process-wide registry URI
    even when ``download_artifacts`` is given another, so the store is named process-wide
    for the import and everything is put back after it: both URIs and the environment
    variables MLflow writes when they are set.
    """
    if uri is None:
        yield
        return
    import mlflow
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service import utils as tracking

    saved = (tracking._tracking_uri, registry._registry_uri)
    variables = {name: os.environ.get(name) for name in _URI_VARIABLES}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved[0])  # type: ignore[arg-type]  # None: unset, as MLflow does
        registry._registry_uri = saved[1]
        for name, value in variables.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def registered_name(uri: str) -> str | None:
    """The registered model name of ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``."""
    match = _REGISTERED.fullmatch(uri)
    return match.group("name") if match else None


def _download(uri: str, tracking_uri: str | None, into: Path) -> Path:
    from mlflow.artifacts import download_artifacts
    from mlflow.exceptions import MlflowException

    try:
        path = download_artifacts(
            artifact_uri=uri,
            dst_path=str(into),
            tracking_uri=tracking_uri,
            registry_uri=tracking_uri,
        )
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFoundError(
                f"MLflow has no model at {uri}: expected a registered version or alias, or a "
                "run's model path, in the tracking store (--tracking-uri)"
            ) from None
        reason = str(error.message).splitlines()[0] if str(error.message) else error.error_code
        raise ConfigError(f"MLflow could not read {uri}: {reason}") from None
    return Path(path)


def _local(uri: str) -> Path:
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(parts.path)
    if parts.scheme and len(parts.scheme) > 1:  # one letter is a Windows drive
        raise ConfigError(f"unknown model URI {uri}: expected {URI_FORMS}")
    return Path(uri)


def fetch(uri: str, tracking_uri: str | None, into: Path) -> Source:
    """The model behind ``uri`` as a local folder holding its ``MLmodel`` file."""
    remote = uri.startswith(("models:/", "runs:/"))
    if remote:
        folder = _download(uri, tracking_uri, into)
    else:
        folder = _local(uri)
        if not folder.is_dir():
            raise NotFoundError(f"model URI {uri} is not a folder: expected {URI_FORMS}")
        uri = str(folder.resolve())
    if not (folder / "MLmodel").is_file():
        raise NotFoundError(
            f"{uri} holds no MLmodel file: expected a model saved by mlflow's log_model or "
            "save_model"
        )
    return Source(uri, folder, registered_name(uri), remote)
