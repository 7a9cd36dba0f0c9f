"""``modelyard.import_mlflow`` against a real MLflow tracking store and registry."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from mlflowstore import COMMIT, PARAMS, SKLEARN_PIN, Store

from modelyard.api import load
from modelyard.core.errors import ConfigError, NotFoundError, UnsupportedModelError
from modelyard.importers import import_mlflow
from modelyard.importers.lineage import read_run
from modelyard.package.manifest import ImportedDataset
from modelyard.registry import Registry


def test_registered_version_is_converted_and_predicts_like_the_sklearn_model(
    mlflow_store: Store, registry: Registry
) -> None:
    version = import_mlflow(
        "models:/iris/1", tracking_uri=mlflow_store.tracking_uri, registry=registry
    )

    assert (version.name, version.version) == ("iris", 1)
    manifest = version.manifest
    assert (manifest.format, manifest.flavor) == ("onnx", "sklearn")
    assert manifest.parity is not None and manifest.parity.labels_equal
    served = load("iris:1", registry=registry)
    expected = mlflow_store.model.predict(mlflow_store.X_test)
    np.testing.assert_array_equal(served.predict(mlflow_store.X_test), expected)
    np.testing.assert_allclose(
        served.predict_proba(mlflow_store.X_test),
        mlflow_store.model.predict_proba(mlflow_store.X_test),
        atol=1e-5,
    )


def test_lineage_holds_the_runs_params_metrics_commit_and_datasets(
    mlflow_store: Store, registry: Registry
) -> None:
    version = import_mlflow(
        "models:/iris@champion", tracking_uri=mlflow_store.tracking_uri, registry=registry
    )

    lineage = version.manifest.lineage
    assert lineage.params == PARAMS
    assert lineage.git is not None
    assert (lineage.git.commit, lineage.git.branch, lineage.git.dirty) == (COMMIT, "main", None)
    assert lineage.git.remote == "https://git.example.com/team/iris.git"
    imported = lineage.imported
    assert imported is not None
    assert (imported.system, imported.uri, imported.flavor) == (
        "mlflow",
        "models:/iris@champion",
        "sklearn",
    )
    assert imported.run_id == mlflow_store.run_id
    assert imported.metrics == {"accuracy": 0.96, "log_loss": 0.12}
    [dataset] = imported.datasets
    assert dataset.model_dump(exclude={"digest", "source"}) == ImportedDataset(
        name="iris-train", digest="", context="training", source_type="code", rows=75
    ).model_dump(exclude={"digest", "source"})
    assert dataset.digest


def test_dataset_urls_lose_their_credentials_and_presigned_query(mlflow_store: Store) -> None:
    import mlflow
    from mlflow.data.http_dataset_source import HTTPDatasetSource
    from mlflow.entities import DatasetInput

    client = mlflow.MlflowClient(mlflow_store.tracking_uri)
    run_id = client.create_run(client.get_experiment_by_name("iris").experiment_id).info.run_id
    url = "https://ci:s3cret@data.example.com/iris.csv?X-Amz-Signature=abc&X-Amz-Expires=60"
    data = mlflow.data.from_pandas(mlflow_store.X_test, source=HTTPDatasetSource(url))
    client.log_inputs(run_id, datasets=[DatasetInput(data._to_mlflow_entity())])

    [dataset] = read_run(run_id, mlflow_store.tracking_uri, f"runs:/{run_id}/model").datasets

    assert dataset.source_type == "http"
    assert dataset.source is not None
    assert json.loads(dataset.source) == {"url": "https://data.example.com/iris.csv"}


def test_signature_and_requirements_are_mlflows(mlflow_store: Store, registry: Registry) -> None:
    version = import_mlflow(
        "models:/iris/1", tracking_uri=mlflow_store.tracking_uri, registry=registry
    )

    columns = [column.name for column in version.manifest.signature.columns]
    assert columns == list(mlflow_store.X_test.columns)
    pins = {f"{entry.name}=={entry.version}" for entry in version.manifest.requirements}
    assert SKLEARN_PIN in pins
    assert any(pin.startswith("mlflow==") for pin in pins)
    assert version.manifest.requirements[0].name == "onnxruntime"  # what serves the file first


def test_run_uri_without_input_example_takes_a_sample_file(
    mlflow_store: Store, registry: Registry, tmp_path: Path
) -> None:
    sample = tmp_path / "rows.csv"
    mlflow_store.X_test.head(20).to_csv(sample, index=False)

    version = import_mlflow(
        f"runs:/{mlflow_store.bare_run_id}/model",
        name="iris-bare",
        tracking_uri=mlflow_store.tracking_uri,
        sample=sample,
        registry=registry,
    )

    served = load("iris-bare:1", registry=registry)
    np.testing.assert_array_equal(
        served.predict(mlflow_store.X_test), mlflow_store.model.predict(mlflow_store.X_test)
    )
    assert version.manifest.lineage.imported is not None
    assert version.manifest.lineage.imported.run_id == mlflow_store.bare_run_id
    assert version.manifest.lineage.git is None  # that run recorded no commit


def test_run_uri_without_input_example_or_sample_is_refused(mlflow_store: Store) -> None:
    uri = f"runs:/{mlflow_store.bare_run_id}/model"

    with pytest.raises(ConfigError) as error:
        import_mlflow(uri, name="iris-bare", tracking_uri=mlflow_store.tracking_uri)

    assert str(error.value) == (
        f"{uri} has no input example: pass --sample FILE (sample= in Python), a Parquet or CSV "
        "file of feature rows, to prove the conversion and profile the inputs"
    )


def test_run_uri_needs_a_name(mlflow_store: Store) -> None:
    uri = f"runs:/{mlflow_store.run_id}/model"

    with pytest.raises(ConfigError) as error:
        import_mlflow(uri, tracking_uri=mlflow_store.tracking_uri)

    assert (
        str(error.value) == f"{uri} is not a registered model: pass --name NAME (name= in Python)"
    )


def test_local_folder_is_imported_without_a_run(mlflow_store: Store, registry: Registry) -> None:
    version = import_mlflow(str(mlflow_store.folder), name="iris-saved", registry=registry)

    lineage = version.manifest.lineage
    assert lineage.imported is not None
    assert (lineage.imported.uri, lineage.imported.run_id) == (str(mlflow_store.folder), None)
    assert lineage.git is None
    assert lineage.params["C"] == 0.5  # the estimator's own hyperparameters, as log_model does
    served = load("iris-saved:1", registry=registry)
    np.testing.assert_array_equal(
        served.predict(mlflow_store.X_test), mlflow_store.model.predict(mlflow_store.X_test)
    )


def test_onnx_flavor_is_taken_as_is(mlflow_store: Store, registry: Registry) -> None:
    version = import_mlflow(
        f"runs:/{mlflow_store.onnx_run_id}/model",
        name="iris-onnx",
        tracking_uri=mlflow_store.tracking_uri,
        registry=registry,
    )

    manifest = version.manifest
    assert (manifest.format, manifest.flavor) == ("onnx", "onnx")
    assert manifest.lineage.imported is not None
    assert manifest.lineage.imported.flavor == "onnx"
    rows = mlflow_store.X_test.to_numpy(np.float32)
    served = load("iris-onnx:1", registry=registry)
    np.testing.assert_array_equal(served.predict(rows), mlflow_store.model.predict(rows))


def test_other_flavors_are_refused_naming_the_supported_ones(mlflow_store: Store) -> None:
    uri = f"runs:/{mlflow_store.pyfunc_run_id}/model"

    with pytest.raises(UnsupportedModelError) as error:
        import_mlflow(uri, name="constant", tracking_uri=mlflow_store.tracking_uri)

    assert str(error.value) == (
        f"{uri} is an MLflow model of flavor python_function: expected one of the flavors "
        "onnx, sklearn"
    )


def test_sample_without_a_signature_column_is_refused(mlflow_store: Store, tmp_path: Path) -> None:
    sample = tmp_path / "rows.csv"
    mlflow_store.X_test.drop(columns=["petal width (cm)"]).to_csv(sample, index=False)

    with pytest.raises(ConfigError) as error:
        import_mlflow(str(mlflow_store.folder), name="iris-saved", sample=sample)

    assert str(error.value) == (
        "the sample lacks petal width (cm): expected every input column of the MLflow signature"
    )


def _unfit_sample(store: Store, path: Path) -> Path:
    """The test rows with one value that no number type holds."""
    rows = store.X_test.head(5).astype(object)
    rows.iloc[2, 1] = "x"
    rows.to_csv(path, index=False)
    return path


def test_sample_value_unfit_for_the_signature_names_the_column_not_the_value(
    mlflow_store: Store, tmp_path: Path
) -> None:
    sample = _unfit_sample(mlflow_store, tmp_path / "rows.csv")

    with pytest.raises(ConfigError) as error:
        import_mlflow(str(mlflow_store.folder), name="iris-saved", sample=sample)

    assert str(error.value) == (
        "the sample column sepal width (cm) does not fit the MLflow signature: expected double "
        "values"
    )


def _tensor_model(store: Store, folder: Path) -> Path:
    """The iris model saved with the tensor signature MLflow infers from a numpy array."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    rows = store.X_test.to_numpy()
    signature = infer_signature(rows, store.model.predict(rows))
    mlflow.sklearn.save_model(store.model, str(folder), signature=signature)
    return folder


def test_sample_unfit_for_a_tensor_signature_names_the_column(
    mlflow_store: Store, tmp_path: Path
) -> None:
    folder = _tensor_model(mlflow_store, tmp_path / "tensor")
    sample = _unfit_sample(mlflow_store, tmp_path / "rows.csv")

    with pytest.raises(ConfigError) as error:
        import_mlflow(str(folder), name="iris-tensor", sample=sample)

    assert str(error.value) == (
        "the sample column sepal width (cm) does not fit the MLflow signature: expected float64 "
        "values"
    )


def test_ragged_sample_for_a_tensor_signature_is_refused(
    mlflow_store: Store, tmp_path: Path
) -> None:
    folder = _tensor_model(mlflow_store, tmp_path / "tensor")

    with pytest.raises(ConfigError) as error:
        import_mlflow(str(folder), name="iris-tensor", sample=[[5.1, 3.5, 1.4, 0.2], [4.9, 3.0]])

    assert str(error.value) == (
        "the sample does not fit the MLflow signature: expected rows of float64 values"
    )


def test_folder_naming_a_run_the_store_lacks_is_refused(
    mlflow_store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "copied"
    folder.mkdir()
    for path in mlflow_store.folder.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text())
    (folder / "MLmodel").write_text(yaml.safe_dump({**mlmodel, "run_id": "0" * 32}))

    with pytest.raises(NotFoundError) as error:
        import_mlflow(str(folder), name="iris-copy", tracking_uri=mlflow_store.tracking_uri)

    assert str(error.value) == (
        f"the tracking store has no run {'0' * 32}, which made {folder}: expected the store "
        "the model was logged to (--tracking-uri)"
    )


def test_pickle_deserialization_switched_off_in_mlflow_is_respected(
    mlflow_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")

    with pytest.raises(UnsupportedModelError) as error:
        import_mlflow(str(mlflow_store.folder), name="iris-saved")

    assert str(error.value).startswith(
        f"MLflow refused to open {mlflow_store.folder}: Deserializing this model is disallowed "
        "because 'MLFLOW_ALLOW_PICKLE_DESERIALIZATION' is not set to 'true'."
    )
    assert "\n" not in str(error.value)


def test_alias_mlflow_does_not_know_is_refused_with_mlflows_reason(mlflow_store: Store) -> None:
    with pytest.raises(ConfigError) as error:
        import_mlflow("models:/iris@nope", tracking_uri=mlflow_store.tracking_uri)

    assert str(error.value) == (
        "MLflow could not read models:/iris@nope: Registered model alias nope not found."
    )


def test_mlflows_own_tracking_store_is_put_back_after_an_import(
    mlflow_store: Store, registry: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import mlflow

    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", elsewhere)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)

    import_mlflow("models:/iris/1", tracking_uri=mlflow_store.tracking_uri, registry=registry)

    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == (elsewhere, elsewhere)
    assert os.environ["MLFLOW_TRACKING_URI"] == elsewhere
    assert "MLFLOW_REGISTRY_URI" not in os.environ


def _open_files(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path``."""
    return sum(1 for fd in Path("/proc/self/fd").iterdir() if os.path.realpath(fd) == str(path))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc")
def test_registry_opened_by_the_import_is_closed_after_it(
    mlflow_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = tmp_path / "registry.db"
    monkeypatch.setenv("MODELYARD_REGISTRY_URL", f"sqlite:///{database}")
    monkeypatch.setenv("MODELYARD_ARTIFACTS", str(tmp_path / "artifacts"))

    version = import_mlflow(str(mlflow_store.folder), name="iris-saved")

    assert (version.name, version.version) == ("iris-saved", 1)
    assert _open_files(database) == 0


def test_sqlite_tracking_store_that_does_not_exist_is_refused_not_created(
    tmp_path: Path,
) -> None:
    uri = f"sqlite:///{tmp_path / 'missing.db'}"

    with pytest.raises(NotFoundError) as error:
        import_mlflow("models:/iris/1", tracking_uri=uri)

    assert str(error.value) == (
        f"tracking URI {uri} names no file: expected the SQLite file of an existing MLflow "
        "tracking store (--tracking-uri)"
    )
    assert list(tmp_path.iterdir()) == []
