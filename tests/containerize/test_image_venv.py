"""The image without Docker: a fresh virtual environment installs exactly what the Dockerfile
installs (the context's requirements and wheel, from this machine's package index), the
context's ``app/`` is copied as the Dockerfile copies it, read-only but for what the
Dockerfile gives its user (the registry's folder and database, the data folder), and its
entry script serves the demo's endpoints over real HTTP, answering as the registry's models
do and logging to a local Parquet store."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from containerize.commandline import containerize
from modelyard.containerize import BuildContext, build_context
from modelyard.demo import Demo
from modelyard.pipeline import load_endpoints
from modelyard.registry import Registry
from nettools import free_port, wait_ready

pytestmark = pytest.mark.slow  # about a minute: a virtual environment installed from the index

READY_DEADLINE_S = 90
LOG_DEADLINE_S = 30
WRITABLE = ("registry", "registry/registry.db", "data")
"""What the Dockerfile's user owns inside ``/app``; everything else is read-only to it."""


@pytest.fixture(scope="module")
def context(demo: Demo, source: Registry, tmp_path_factory: pytest.TempPathFactory) -> BuildContext:
    """The demo's endpoints, breast-cancer logging every request to ``parquet:logs``, a
    local store relative to where the server runs."""
    endpoints = yaml.safe_load(demo.endpoints_file.read_text())
    for endpoint in endpoints["endpoints"]:
        if endpoint["id"] == "breast-cancer":
            endpoint["logging"] = {"sample_rate": 1.0, "store": "parquet:logs"}
    folder = tmp_path_factory.mktemp("logged-image")
    (folder / "endpoints.yaml").write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return build_context(folder / "endpoints.yaml", folder / "ctx", source)


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


def _as_the_image_user(command: list[str]) -> list[str]:
    """``command`` bound by file modes as the image's user is: root writes through any mode,
    so as root it runs without the capabilities that allow that."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    assert setpriv, "running as root, setpriv (util-linux) is needed to drop root's file powers"
    powers = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={powers}", f"--bounding-set={powers}", *command]


def _set_writable(app: Path, writable: bool) -> None:
    """Take write permission from everything in ``app`` but :data:`WRITABLE` (as the
    Dockerfile's ``chown`` leaves it), or give it back everywhere."""
    for path in [app, *app.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | 0o200 if writable else mode & ~0o222)
    for name in WRITABLE:
        (app / name).chmod((app / name).stat().st_mode | 0o200)


@pytest.fixture(scope="module")
def app(context: BuildContext, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the context's ``app/``, read-only but for :data:`WRITABLE`."""
    app = tmp_path_factory.mktemp("image-root") / "app"
    shutil.copytree(context.path / "app", app)  # COPY app/ /app/
    _set_writable(app, False)
    yield app
    _set_writable(app, True)


@pytest.fixture(scope="module")
def served(app: Path, image_env: Path) -> Iterator[str]:
    """The base URL of the context's entry script, running from ``app``."""
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
            _as_the_image_user([str(app / "serve.sh")]),
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
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
    assert found.stdout == "['pyarrow']\n"  # the parquet log store's, and nothing else


def test_the_app_folder_is_read_only_to_the_server_but_its_own_folders(app: Path) -> None:
    probe = "touch registry/w data/w && ! touch w 2>/dev/null && ! touch registry/artifacts/w"
    touched = subprocess.run(
        _as_the_image_user(["sh", "-c", probe]), cwd=app, capture_output=True, check=False
    )
    assert touched.returncode == 0, touched.stderr
    (app / "registry" / "w").unlink()
    (app / "data" / "w").unlink()


def test_a_relative_parquet_log_is_written_in_the_data_folder(
    served: str, app: Path, demo: Demo
) -> None:
    payload = {"instances": [demo.cancer_record]}
    response = httpx.post(f"{served}/endpoints/breast-cancer/predict", json=payload, timeout=30)
    assert response.status_code == 200, response.text
    logged = app / "data" / "logs" / "endpoint=breast-cancer"
    deadline = time.monotonic() + LOG_DEADLINE_S
    while not list(logged.rglob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(logged.rglob("part-*.parquet")), (app.parent / "server.log").read_text()[-3000:]


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


def test_the_dashboard_and_its_assets_ship_in_the_wheel(served: str) -> None:
    """A real install, not an editable one: the templates and htmx come from the package."""
    page = httpx.get(f"{served}/ui/models", timeout=30)
    assert page.status_code == 200 and "breast_cancer" in page.text
    script = httpx.get(f"{served}/ui/static/htmx.min.js", timeout=30)
    assert script.status_code == 200 and "htmx" in script.text


def test_the_health_check_fails_where_nothing_serves(
    context: BuildContext, image_env: Path
) -> None:
    assert _health_check(context, image_env, free_port()) == 1


def test_an_extra_that_is_not_installed_cannot_be_pinned(
    image_env: Path, demo: Demo, tmp_path: Path
) -> None:
    (tmp_path / "endpoints.yaml").write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        "    logging: {sample_rate: 0.1}\n    monitoring: {}\n"
    )
    result = containerize(demo, "endpoints.yaml", cwd=tmp_path, bin_dir=image_env)
    assert result.returncode == 2
    assert result.stderr == (
        "error: endpoints.yaml:5: endpoints.0.monitoring: endpoint 'cancer' needs scikit-learn "
        '(pip install "modelyard[monitor]"), which is not installed here, so the image has no '
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
