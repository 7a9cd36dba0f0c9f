"""What a build context holds: a Dockerfile a reviewer can trust, the registered bytes under
their own numbers and aliases, and a serving install pinned line by line."""

from __future__ import annotations

import os
import re
import shutil
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from containerize.commandline import containerize
from modelyard.containerize import BuildContext
from modelyard.demo import Demo
from modelyard.package.io import verify_package
from modelyard.registry import Registry

EXAMPLE_GATES = Path(__file__).resolve().parents[2] / "examples" / "ci" / "gates.yaml"


def _instructions(context: BuildContext) -> dict[str, list[str]]:
    """Each Dockerfile instruction's arguments (continuation lines joined), by keyword."""
    text = (context.path / "Dockerfile").read_text().replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.setdefault(keyword, []).append(" ".join(rest.split()))
    return found


def _pins(context: BuildContext) -> dict[str, str]:
    lines = (context.path / "requirements.txt").read_text().splitlines()
    pairs = [line.split("==") for line in lines if not line.startswith("#")]
    return {name.lower().replace("_", "-"): version for name, version in pairs}


def test_the_image_starts_from_the_slim_python_of_this_minor_version(
    context: BuildContext,
) -> None:
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert _instructions(context)["FROM"] == [f"python:{minor}-slim"]


def test_a_label_names_the_versions_inside(context: BuildContext) -> None:
    assert _instructions(context)["LABEL"] == [
        'io.modelyard.versions="breast_cancer:1 digits_is_3:1"'
    ]


def test_the_server_runs_as_a_user_made_for_it_never_root(context: BuildContext) -> None:
    steps = _instructions(context)
    assert steps["USER"] == ["modelyard"]
    assert any(
        "useradd --system --uid 10001" in run and run.endswith(" modelyard") for run in steps["RUN"]
    )


def test_the_user_may_write_the_registry_and_the_data_volume_only(
    context: BuildContext,
) -> None:
    steps = _instructions(context)
    assert (
        "chown modelyard:modelyard /app/registry /app/registry/registry.db /app/data"
        in (steps["RUN"])
    )
    assert steps["VOLUME"] == ["/app/data"]
    assert list((context.path / "app" / "data").iterdir()) == []


def test_the_health_check_asks_readiness_on_the_exposed_port(context: BuildContext) -> None:
    steps = _instructions(context)
    assert steps["EXPOSE"] == ["8000"]
    (check,) = steps["HEALTHCHECK"]
    assert "urllib.request.urlopen" in check
    assert "'http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/v2/health/ready'" in check


def test_the_entry_point_is_the_serve_script_of_the_context(context: BuildContext) -> None:
    assert _instructions(context)["ENTRYPOINT"] == ['["/app/serve.sh"]']
    script = context.path / "app" / "serve.sh"
    assert os.access(script, os.X_OK)
    assert 'exec modelyard serve "$app/endpoints.yaml"' in script.read_text()
    assert '--registry "sqlite:///$app/registry/registry.db"' in script.read_text()


def test_only_the_wheel_and_the_pins_are_installed(context: BuildContext) -> None:
    wheel = context.wheel.name
    assert re.fullmatch(r"modelyard-[\w.]+-py3-none-any\.whl", wheel)
    (install,) = [run for run in _instructions(context)["RUN"] if "pip install" in run]
    assert install.startswith(
        f"pip install --no-cache-dir -r /tmp/install/requirements.txt /tmp/install/{wheel}"
    )


def test_the_wheel_holds_the_package_and_its_metadata_only(context: BuildContext) -> None:
    with zipfile.ZipFile(context.wheel) as wheel:
        names = wheel.namelist()
    assert "modelyard/containerize/context.py" in names
    assert "modelyard/ui/templates/base.html" in names  # package data travels too
    assert {name.split("/")[0] for name in names} == {
        "modelyard",
        context.wheel.name.removesuffix("-py3-none-any.whl") + ".dist-info",
    }


def test_packages_are_the_registered_bytes(context: BuildContext, source: Registry) -> None:
    packages = context.path / "app" / "registry" / "artifacts" / "packages"
    for copy in context.versions:
        registered = source.get(copy.ref)
        assert copy.digest == registered.digest
        verify_package(packages / copy.digest, expected_digest=registered.digest)
    assert sorted(path.name for path in packages.iterdir()) == sorted(
        v.digest for v in context.versions
    )


def test_the_image_registry_holds_the_served_versions_with_their_aliases(
    context: BuildContext, source: Registry
) -> None:
    inside = Registry(f"sqlite:///{context.path / 'app' / 'registry' / 'registry.db'}")
    try:
        summary = {m.name: (m.versions, m.aliases) for m in inside.list_models()}
    finally:
        inside.close()
    assert summary == {
        "breast_cancer": (1, source.aliases("breast_cancer")),
        "digits_is_3": (1, source.aliases("digits_is_3")),
    }


def test_the_endpoints_file_is_the_same_endpoints(context: BuildContext, demo: Demo) -> None:
    written = yaml.safe_load((context.path / "app" / "endpoints.yaml").read_text())
    assert written == yaml.safe_load(demo.endpoints_file.read_text())


def test_requirements_pin_the_serving_install_only(context: BuildContext, source: Registry) -> None:
    pins = _pins(context)
    recorded = {
        r.name: r.version for r in source.get("breast_cancer@production").manifest.requirements
    }
    assert pins["onnxruntime"] == recorded["onnxruntime"]
    for name in ("fastapi", "uvicorn", "sqlalchemy", "pydantic", "starlette", "numpy"):
        assert pins[name] == metadata.version(name)
    for training in ("scikit-learn", "pandas", "scipy", "skl2onnx", "onnx", "pyarrow", "modelyard"):
        assert training not in pins


def test_an_endpoint_with_monitoring_adds_the_monitor_extra(
    demo: Demo, source: Registry, tmp_path: Path
) -> None:
    from modelyard.containerize import build_context

    endpoints = tmp_path / "endpoints.yaml"
    endpoints.write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        "    logging: {sample_rate: 0.5}\n    monitoring: {}\n"
    )
    built = build_context(endpoints, tmp_path / "ctx", source)
    assert built.extras == ["monitor"]
    pins = _pins(built)
    for name in ("pandas", "scipy", "scikit-learn", "pyarrow"):
        assert pins[name] == metadata.version(name)


def test_gates_files_travel_inside_the_image_named_by_endpoint(
    source: Registry, tmp_path: Path
) -> None:
    from modelyard.containerize import build_context

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(EXAMPLE_GATES, tmp_path / folder / "gates.yaml")
    (tmp_path / "b" / "gates.yaml").write_text("gates:\n  - min_rows: 50\n")
    monitored = "    logging: {sample_rate: 0.5}\n    monitoring: {gates: %s/gates.yaml}\n"
    endpoints = tmp_path / "endpoints.yaml"
    endpoints.write_text(
        "endpoints:\n"
        "  - id: cancer\n    model: breast_cancer@production\n" + monitored % (tmp_path / "a")
        + "  - id: cancer-b\n    model: breast_cancer@production\n" + monitored % (tmp_path / "b")
    )  # fmt: skip
    app = build_context(endpoints, tmp_path / "ctx", source).path / "app"
    written = yaml.safe_load((app / "endpoints.yaml").read_text())["endpoints"]
    assert [e["monitoring"]["gates"] for e in written] == [
        "gates/cancer-gates.yaml",
        "gates/cancer-b-gates.yaml",
    ]
    assert (app / "gates" / "cancer-gates.yaml").read_text() == EXAMPLE_GATES.read_text()
    assert (app / "gates" / "cancer-b-gates.yaml").read_text() == "gates:\n  - min_rows: 50\n"


def test_a_parquet_log_store_adds_the_parquet_extra(
    demo: Demo, source: Registry, tmp_path: Path
) -> None:
    from modelyard.containerize import build_context

    endpoints = tmp_path / "endpoints.yaml"
    endpoints.write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        "    logging: {sample_rate: 0.5, store: 'parquet:memory://logs'}\n"
    )
    built = build_context(endpoints, tmp_path / "ctx", source)
    assert built.extras == ["parquet"]
    assert _pins(built)["pyarrow"] == metadata.version("pyarrow")


@pytest.mark.parametrize(
    ("store", "inside"),
    [
        ("parquet:logs", "parquet:data/logs"),
        ("parquet:./logs/live/", "parquet:data/logs/live"),
        ("parquet:file://logs", "parquet:data/logs"),
        ("parquet:/app/data/logs", "parquet:/app/data/logs"),
        ("parquet:memory://logs", "parquet:memory://logs"),
        ("registry", "registry"),
    ],
)
def test_a_local_log_store_is_placed_in_the_data_folder(
    source: Registry, tmp_path: Path, store: str, inside: str
) -> None:
    from modelyard.containerize import build_context

    endpoints = tmp_path / "endpoints.yaml"
    endpoints.write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        f"    logging: {{sample_rate: 0.5, store: '{store}'}}\n"
    )
    app = build_context(endpoints, tmp_path / "ctx", source).path / "app"
    written = yaml.safe_load((app / "endpoints.yaml").read_text())["endpoints"]
    assert written[0]["logging"] == {"sample_rate": 0.5, "store": inside}


@pytest.mark.parametrize(
    ("store", "path"),
    [
        ("/var/log/modelyard", "/var/log/modelyard"),
        ("file:///srv/logs", "/srv/logs"),
        ("../logs", "../logs"),
        ("~/logs", "~/logs"),
        ("/app/database", "/app/database"),
    ],
)
def test_a_local_log_store_the_image_cannot_write_is_refused(
    tmp_path: Path, demo: Demo, store: str, path: str
) -> None:
    (tmp_path / "endpoints.yaml").write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        f"    logging: {{sample_rate: 0.5, store: 'parquet:{store}'}}\n"
    )
    result = containerize(demo, "endpoints.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        f"error: endpoints.yaml:4: endpoints.0.logging.store: endpoint 'cancer' logs to {path}, "
        "outside /app/data, the only folder the image's server may write logs to: use a "
        "relative path (parquet:logs is kept in /app/data/logs, a volume), a path under "
        "/app/data, or a remote store such as parquet:s3://BUCKET/logs\n",
    )
    assert not (tmp_path / "ctx").exists()


def test_a_log_store_whose_filesystem_is_not_installed_is_refused(
    tmp_path: Path, demo: Demo
) -> None:
    (tmp_path / "endpoints.yaml").write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        "    logging: {sample_rate: 0.5, store: 'parquet:oci://bucket@space/logs'}\n"
    )
    result = containerize(demo, "endpoints.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "error: endpoints.yaml:4: endpoints.0.logging.store: endpoint 'cancer' logs to a store "
        "that needs ocifs, which is not installed here, so the image has no version to pin it "
        "to: install it, then build again\n",
    )


def test_a_version_number_means_the_same_package_inside(
    demo: Demo, source: Registry, tmp_path: Path
) -> None:
    from modelyard.containerize import build_context

    own = Registry(f"sqlite:///{tmp_path / 'own.db'}", str(tmp_path / "artifacts"))
    package = source.fetch("breast_cancer@production")
    for _ in range(3):
        own.register(package)
    own.set_alias("breast_cancer", "production", 2, reason="chosen")
    endpoints = tmp_path / "endpoints.yaml"
    endpoints.write_text(
        "endpoints:\n"
        "  - id: cancer\n    model: breast_cancer@production\n"
        "  - id: newest\n    model: breast_cancer:3\n"
    )
    built = build_context(endpoints, tmp_path / "ctx", own)
    own.close()
    assert [(v.ref, v.aliases) for v in built.versions] == [
        ("breast_cancer:2", ["production"]),
        ("breast_cancer:3", []),
    ]


def test_a_missing_endpoints_file_is_one_line(tmp_path: Path, demo: Demo) -> None:
    result = containerize(demo, "nope.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, "error: nope.yaml: no such file\n")
    assert not (tmp_path / "ctx").exists()


def test_an_unknown_alias_names_the_line_and_the_ref(tmp_path: Path, demo: Demo) -> None:
    (tmp_path / "endpoints.yaml").write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@nope\n"
    )
    result = containerize(demo, "endpoints.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: endpoints.yaml:3: endpoints.0.model: breast_cancer@nope: "
        "no alias 'nope' on 'breast_cancer'; aliases: production\n"
    )
    assert not (tmp_path / "ctx").exists()


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path, demo: Demo) -> None:
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "keep.txt").write_text("mine")
    result = containerize(demo, str(demo.endpoints_file), cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "error: ctx: expected a new or empty folder for the build context\n",
    )
    assert [p.name for p in (tmp_path / "ctx").iterdir()] == ["keep.txt"]


def test_a_missing_gates_file_names_its_line(tmp_path: Path, demo: Demo) -> None:
    (tmp_path / "endpoints.yaml").write_text(
        "endpoints:\n  - id: cancer\n    model: breast_cancer@production\n"
        "    logging: {sample_rate: 0.5}\n    monitoring:\n      gates: live-gates.yaml\n"
    )
    result = containerize(demo, "endpoints.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "error: endpoints.yaml:6: endpoints.0.monitoring.gates: live-gates.yaml: no such file\n",
    )


def test_the_command_lists_what_it_wrote(tmp_path: Path, demo: Demo) -> None:
    result = containerize(demo, str(demo.endpoints_file), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "build context: ctx"
    assert re.fullmatch(r"  breast_cancer:1 @production  package [0-9a-f]{12}", lines[1])
    assert re.fullmatch(r"  digits_is_3:1 @production  package [0-9a-f]{12}", lines[2])
    assert re.fullmatch(r"  \d+ pinned requirements, modelyard-.*\.whl", lines[3])
    assert lines[4] == "next: docker build -t NAME ctx"
