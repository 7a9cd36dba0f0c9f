"""The root ``modelyard`` command; each group lives in its own module.

Command modules import the heavy layers (pandas, scikit-learn, SQLAlchemy, onnxruntime, the
server) inside the command that needs them, so ``modelyard --help`` answers at once; a test
holds that line through ``sys.modules``.

User errors (:class:`~modelyard.core.errors.ModelyardError`) raised by any command are printed
by :class:`RootGroup` as one ``error:`` line with exit code 2; a traceback would mean a bug.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer._click.exceptions import ClickException  # typer >= 0.29 carries its own click
from typer.core import TyperGroup

from modelyard import __version__
from modelyard.cli import (
    aliases,
    batch,
    check,
    containerize,
    demo,
    evaluate,
    feedback,
    imports,
    models,
    monitor,
    predictions,
    rollout,
    serve,
    token,
    ui,
)
from modelyard.cli.context import Settings, console
from modelyard.cli.errors import USAGE_ERROR, print_error
from modelyard.cli.labels import relabel
from modelyard.core.errors import ModelyardError
from modelyard.core.extras import missing_extra


class RootGroup(TyperGroup):
    """The root group: readable help labels, and every command's :class:`ModelyardError`
    ends here, printed once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relabel(self)

    def invoke(self, ctx: Any) -> Any:  # typer.Context; Any matches the base signature
        try:
            try:
                return super().invoke(ctx)
            except ImportError as missing:  # a library of an extra that is not installed
                raise missing_extra(missing, "this command") from None
        except ModelyardError as error:
            print_error(str(error) or type(error).__name__)
            raise typer.Exit(USAGE_ERROR) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; a usage error (unknown option, missing argument) is one
        ``error:`` line naming the help to read, like every other error."""
        run = functools.partial(
            super().main, args, prog_name, complete_var, False, windows_expand_args, **extra
        )
        if not standalone_mode:
            return run()
        try:
            status = run()
        except ClickException as error:
            if type(error).__name__ != "NoArgsIsHelpError":  # the help is already shown
                context = getattr(error, "ctx", None)
                see = f"; see {context.command_path} --help" if context is not None else ""
                print_error(error.format_message().rstrip(".") + see)
            sys.exit(error.exit_code)
        except typer.Abort:
            print_error("aborted")
            sys.exit(1)
        sys.exit(status if isinstance(status, int) else 0)


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
app.add_typer(token.app, name="token")
app.add_typer(rollout.app, name="rollout")
app.add_typer(predictions.app, name="predictions")
app.add_typer(imports.app, name="import")
app.command("log")(models.log)
app.command("lineage")(models.lineage)
app.command("rollback")(aliases.rollback)
app.command("check")(check.check)
app.command("evaluate")(evaluate.evaluate)
app.command("promote")(evaluate.promote)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("feedback")(feedback.feedback)
app.command("monitor")(monitor.monitor)
app.command("batch")(batch.batch)
app.command("ui")(ui.ui)
app.command("containerize")(containerize.containerize)


def main() -> None:
    """Entry point of the console script."""
    app()
