"""The image without Docker: a fresh virtual environment installs exactly what the Dockerfile
installs (the context's requirements and wheel, from this machine's package index), the
context's ``app/`` is copied as the Dockerfile copies it, and its entry script serves the
demo's endpoints over real HTTP, answering as the registry's models do."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from containerize.commandline import containerize
from modelyard.containerize import BuildContext
from modelyard.demo import Demo
from modelyard.pipeline import load_endpoints
from modelyard.registry import Registry
from nettools import free_port, wait_ready

pytestmark = pytest.mark.slow  # about a minute: a virtual environment installed from the index

READY_DEADLINE_S = 90


@pytest.fixture(scope="module")
def installed_wheel(context: BuildContext, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel file the fresh environment installs modelyard from: a copy of the context's,
    so a test may take it away without touching the context."""
    return Path(shutil.copy2(context.wheel, tmp_path_factory.mktemp("downloads")))


@pytest.fixture(scope="module")
def image_env(
    context: BuildContext, installed_wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The ``bin`` folder of a fresh virtual environment holding the context's serving install."""
    env = tmp_path_factory.mktemp("image-env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=120)
    installed = subprocess.run(
        [
            str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir",
            "-r", str(context.path / "requirements.txt"), str(installed_wheel),
        ],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    return env / "bin"


@pytest.fixture(scope="module")
def served(
    context: BuildContext, image_env: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of the context's entry script, running from a copy of ``app/``."""
    app = tmp_path_factory.mktemp("image-root") / "app"
    shutil.copytree(context.path / "app", app)  # COPY app/ /app/
    port = free_port()
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("MODELYARD_")
    }
    environment |= {
        "PATH": f"{image_env}{os.pathsep}{environment.get('PATH', '')}",
        "MODELYARD_HOST": "127.0.0.1",
        "PORT": str(port),
    }
    log = app.parent / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(app / "serve.sh")], env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        ready = wait_ready(f"{url}/v2/health/ready", process, READY_DEADLINE_S)
        assert ready, log.read_text(errors="replace")[-3000:]
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(60)


def test_the_serving_install_has_no_training_library(image_env: Path) -> None:
    probe = "import importlib.util as u; print([m for m in {!r} if u.find_spec(m)])".format(
        ("sklearn", "pandas", "scipy", "skl2onnx", "onnx", "pyarrow")
    )
    found = subprocess.run(
        [str(image_env / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    assert found.stdout == "[]\n"


def test_the_entry_script_serves_records_as_the_registry_model_does(
    served: str, demo: Demo, source: Registry
) -> None:
    payload = {"instances": [demo.cancer_record]}
    response = httpx.post(f"{served}/endpoints/breast-cancer/predict", json=payload, timeout=30)
    assert response.status_code == 200, response.text
    expected = load_endpoints(demo.endpoints_file, source)["breast-cancer"]
    try:
        assert response.json()["predictions"] == expected.predict(payload)["predictions"]
        version = source.get("breast_cancer@production").version
        assert response.json()["model"] == {"name": "breast_cancer", "version": version}
    finally:
        expected.close()


def test_the_entry_script_serves_images_as_the_registry_model_does(
    served: str, demo: Demo, source: Registry
) -> None:
    png = demo.digit_png.read_bytes()
    response = httpx.post(
        f"{served}/endpoints/digits-is-3/predict",
        content=png,
        headers={"content-type": "image/png"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    expected = load_endpoints(demo.endpoints_file, source)["digits-is-3"]
    try:
        assert response.json()["predictions"] == expected.predict(png)["predictions"]
        assert response.json()["predictions"][0]["label"] == 1  # the sample is a 3
    finally:
        expected.close()


def _health_check(context: BuildContext, image_env: Path, port: int) -> int:
    """The exit status of the Dockerfile's HEALTHCHECK command, run with the environment's
    Python against ``port``."""
    dockerfile = (context.path / "Dockerfile").read_text().replace("\\\n", " ")
    argv = json.loads(dockerfile.split("HEALTHCHECK", 1)[1].split(" CMD ", 1)[1].splitlines()[0])
    assert argv[:2] == ["python", "-c"]
    environment = {**os.environ, "PORT": str(port)}
    checked = subprocess.run(
        [str(image_env / "python"), *argv[1:]], env=environment, capture_output=True, timeout=30
    )
    return checked.returncode


def test_the_health_check_passes_against_the_served_context(
    context: BuildContext, image_env: Path, served: str
) -> None:
    assert _health_check(context, image_env, int(served.rsplit(":", 1)[1])) == 0


def test_the_health_check_fails_where_nothing_serves(
    context: BuildContext, image_env: Path
) -> None:
    assert _health_check(context, image_env, free_port()) == 1


def test_an_extra_that_is_not_installed_cannot_be_pinned(
    image_env: Path, demo: Demo, tmp_path: Path
) -> None:
    (tmp_path / "endpoints.yaml").write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        "    logging: {sample_rate: 0.1, store: 'parquet:logs'}\n"
    )
    result = containerize(demo, "endpoints.yaml", cwd=tmp_path, bin_dir=image_env)
    assert result.returncode == 2
    assert result.stderr == (
        "error: endpoints.yaml:4: endpoints.0.logging.store: endpoint 'cancer' needs pyarrow "
        '(pip install "modelyard[parquet]"), which is not installed here, so the image has no '
        "version to pin it to: install it, then build again\n"
    )
    assert not (tmp_path / "ctx").exists()


def test_an_install_from_a_wheel_file_puts_that_wheel_in_the_context(
    image_env: Path, installed_wheel: Path, demo: Demo, tmp_path: Path
) -> None:
    result = containerize(demo, str(demo.endpoints_file), cwd=tmp_path, bin_dir=image_env)
    assert result.returncode == 0, result.stderr
    copied = tmp_path / "ctx" / "wheels" / installed_wheel.name
    assert copied.read_bytes() == installed_wheel.read_bytes()


def test_an_install_whose_source_is_gone_has_nothing_to_put_in_the_image(
    image_env: Path, installed_wheel: Path, demo: Demo, tmp_path: Path
) -> None:
    away = installed_wheel.rename(installed_wheel.with_suffix(".away"))
    try:
        result = containerize(demo, str(demo.endpoints_file), cwd=tmp_path, bin_dir=image_env)
    finally:
        away.rename(installed_wheel)
    assert (result.returncode, result.stderr) == (
        2,
        "error: modelyard was not installed from a source folder or a wheel file, so there is "
        "nothing to put in the image: install it with pip install PATH (a checkout or a wheel), "
        "then build again\n",
    )
    assert not (tmp_path / "ctx").exists()
