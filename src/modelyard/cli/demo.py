"""``modelyard demo``: the README's first command — train, register and serve real models."""

from __future__ import annotations

from pathlib import Path

import typer

from modelyard.cli.context import console, registry_from
from modelyard.cli.progress import working


def demo(
    ctx: typer.Context,
    workdir: Path | None = typer.Option(
        None,
        "--workdir",
        help="where the endpoints file and sample inputs go (default: demo/ beside the registry)",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve after registering"),
    move_aliases: bool = typer.Option(
        False,
        "--move-aliases",
        help="point @production at versions this run registers (else an existing alias stays)",
    ),
) -> None:
    """Train digits-is-3 (PNG images) and breast cancer (records), register and serve them.

    The models are named demo_digits_is_3 and demo_breast_cancer; running the demo again
    reuses identical versions and never moves an alias unless --move-aliases says so.
    """
    with working("demo: loading scikit-learn") as step:
        if serve:
            from modelyard.serving.server import check_port

            check_port(host, port)  # before minutes of training, not after
        from modelyard.demo import COMMAND_PREFIX, prepare, print_demo, serve_demo

        registry = registry_from(ctx, create=True)
        made = prepare(
            workdir or registry.home / "demo",
            registry,
            prefix=COMMAND_PREFIX,
            move_aliases=move_aliases,
            on_step=step.say,
        )
    print_demo(console, made, f"http://{host}:{port}")
    if serve:
        serve_demo(made, host, port)
