"""The root ``modelyard`` command; each group lives in its own module.

Command modules import the heavy layers (pandas, scikit-learn, SQLAlchemy, onnxruntime, the
server) inside the command that needs them, so ``modelyard --help`` answers at once; a test
holds that line through ``sys.modules``.

User errors (:class:`~modelyard.core.errors.ModelyardError`) raised by any command are printed
by :class:`RootGroup` as one ``error:`` line with exit code 2; a traceback would mean a bug.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from modelyard import __version__
from modelyard.cli import aliases, check, demo, evaluate, models, serve
from modelyard.cli.context import Settings, console
from modelyard.cli.errors import USAGE_ERROR, print_error
from modelyard.cli.labels import relabel
from modelyard.core.errors import ModelyardError


class RootGroup(TyperGroup):
    """The root group: readable help labels, and every command's :class:`ModelyardError`
    ends here, printed once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relabel(self)

    def invoke(self, ctx: Any) -> Any:  # typer.Context; Any matches the base signature
        try:
            return super().invoke(ctx)
        except ModelyardError as error:
            print_error(str(error) or type(error).__name__)
            raise typer.Exit(USAGE_ERROR) from None


app = typer.Typer(
    name="modelyard",
    cls=RootGroup,
    help="Package, register, evaluate and serve machine-learning models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"modelyard {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    registry: str | None = typer.Option(
        None,
        "--registry",
        envvar="MODELYARD_REGISTRY_URL",
        metavar="URL",
        help="SQLAlchemy URL of the metadata store (default: the registry.db of the nearest "
        ".modelyard/ folder, looking up from here).",
    ),
    artifacts: str | None = typer.Option(
        None,
        "--artifacts",
        envvar="MODELYARD_ARTIFACTS",
        metavar="URL",
        help="fsspec URL or folder of the artifact store (default: artifacts/ beside the "
        "SQLite file).",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print the version and exit.",
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
    """Entry point of the console script."""
    app()
