"""The root ``modelyard`` command; each group lives in its own module.

Command modules import the heavy layers (scikit-learn, onnxruntime, the server) inside the
command that needs them, so ``modelyard --help`` and the registry commands start quickly.

User errors (:class:`~modelyard.core.errors.ModelyardError`) are printed as one line on stderr
with exit code 2; a traceback would mean a bug.
"""

from __future__ import annotations

import sys

import typer

from modelyard.cli import aliases, check, demo, evaluate, models, serve
from modelyard.cli.context import Settings, err_console
from modelyard.core.errors import ModelyardError
from modelyard.core.extras import missing_extra

app = typer.Typer(
    name="modelyard",
    help="Package, register, evaluate and serve machine-learning models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    registry: str | None = typer.Option(
        None,
        "--registry",
        envvar="MODELYARD_REGISTRY_URL",
        help="SQLAlchemy URL of the metadata store (default: sqlite:///.modelyard/registry.db).",
    ),
    artifacts: str | None = typer.Option(
        None,
        "--artifacts",
        envvar="MODELYARD_ARTIFACTS",
        help="fsspec URL or folder of the artifact store (default: .modelyard/artifacts).",
    ),
) -> None:
    """Package, register, evaluate and serve machine-learning models."""
    ctx.obj = Settings(registry, artifacts)


app.add_typer(models.app, name="models")
app.add_typer(aliases.app, name="alias")
app.command("log")(models.log)
app.command("lineage")(models.lineage)
app.command("rollback")(aliases.rollback)
app.command("check")(check.check)
app.command("evaluate")(evaluate.evaluate)
app.command("promote")(evaluate.promote)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)


def main() -> None:
    """Entry point of the console script: run the app, turning user errors into one line."""
    try:
        try:
            app()
        except ImportError as missing:  # a library of an extra that is not installed
            raise missing_extra(missing, "this command") from None
    except ModelyardError as error:
        for line in str(error).splitlines() or [type(error).__name__]:
            err_console.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
