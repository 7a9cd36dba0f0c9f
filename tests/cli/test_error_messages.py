"""Mistakes answered in the CLI's own words: the option's name, the file, one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from modelyard.registry import Registry

NO_ENDPOINTS = "no endpoints: write 'endpoints:' with at least one entry (id, model)"


def test_a_target_the_data_lacks_is_named_by_its_option(
    cli: Callable, logged: Registry, workdir: Path, breast_cancer
) -> None:
    breast_cancer.frame("test").to_csv(workdir / "test.csv", index=False)
    result = cli("evaluate", "breast_cancer:1", "--data", "test.csv", "--target", "nope")
    assert result.code == 2
    assert result.err == (
        "error: test.csv has no column 'nope' for the target: expected one of its columns "
        "(mean radius, mean texture, mean perimeter, mean area, mean smoothness, "
        "mean compactness, mean concavity, mean concave points, …)\n"
    )


@pytest.mark.parametrize("text", ["", "endpoints:\n", "endpoints: []\n", "# nothing yet\n"])
@pytest.mark.parametrize("command", ["serve", "check"])
def test_an_empty_endpoints_file_says_what_to_write(
    cli: Callable, logged: Registry, workdir: Path, text: str, command: str
) -> None:
    (workdir / "endpoints.yaml").write_text(text)
    result = cli(command, "endpoints.yaml")
    assert result.code == 2
    assert result.err == f"error: endpoints.yaml: {NO_ENDPOINTS}\n"


def test_an_unwritable_report_path_is_one_line(
    cli: Callable, logged: Registry, workdir: Path, breast_cancer
) -> None:
    breast_cancer.frame("test").to_csv(workdir / "test.csv", index=False)
    report = workdir / "missing-folder" / "report.json"
    result = cli(
        "evaluate", "breast_cancer:1", "--data", "test.csv", "--bootstrap", "0",
        "--json", str(report),
    )  # fmt: skip
    assert result.code == 2
    assert result.err.endswith(
        f"error: cannot write the report {report}: No such file or directory\n"
    )
    assert result.err.count("\n") == 1


def test_serve_refuses_a_port_in_use_before_loading_any_model(
    logged: Registry, workdir: Path, listening_port: int
) -> None:
    # The endpoint names a model that does not exist: loading it would fail with another
    # message, so this one proves the port was checked first.
    (workdir / "endpoints.yaml").write_text("endpoints: [{id: a, model: ghost@production}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "modelyard.cli", "serve", "endpoints.yaml",
         "--port", str(listening_port)],
        cwd=workdir, capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == (
        f"error: --port {listening_port}: 127.0.0.1:{listening_port} is already in use; "
        "stop what listens there or pass --port with a free port\n"
    )


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("no-such-host.invalid", "--host no-such-host.invalid: no such host name or address"),
        # TEST-NET-1 (RFC 5737): an address no interface here has, so binding it fails
        ("192.0.2.1", "--host 192.0.2.1 --port 8000: cannot listen there: "
                      "Cannot assign requested address"),
    ],
)  # fmt: skip
def test_serve_refuses_a_host_it_cannot_listen_on_before_loading_any_model(
    cli: Callable, logged: Registry, workdir: Path, host: str, message: str
) -> None:
    (workdir / "endpoints.yaml").write_text("endpoints: [{id: a, model: ghost@production}]\n")
    result = cli("serve", "endpoints.yaml", "--host", host, "--port", "8000")
    assert result.code == 2
    assert result.err == f"error: {message}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope",), "error: No such command 'nope'; see modelyard --help\n"),
        (
            ("models", "list", "--bogus"),
            "error: No such option: --bogus; see modelyard models list --help\n",
        ),
        (
            ("alias", "set", "breast_cancer@production"),
            "error: Missing argument 'VERSION'; see modelyard alias set --help\n",
        ),
        (
            ("evaluate", "x:1", "--data", "d.csv", "--bootstrap", "many"),
            "error: Invalid value for '--bootstrap': Input should be a valid integer, unable to "
            "parse string as an integer; see modelyard evaluate --help\n",
        ),
    ],
)
def test_a_usage_error_is_one_line_naming_the_help_to_read(
    cli: Callable, args: tuple[str, ...], message: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.err == message
