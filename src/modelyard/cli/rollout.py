"""``modelyard rollout status|pause|resume|abort|promote``: watch and steer an endpoint's rollout.

With ``--server`` (or ``MODELYARD_SERVER``) every command goes through the server's routes, so
the admin token is checked and the running replicas act at their next tick; without one it
reads and writes the registry database directly, exactly where the servers read it. Both
ways end with the same status document, printed as tables or, with ``--json``, as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import typer

from modelyard.cli import rollout_view
from modelyard.cli.context import console, registry_from
from modelyard.core.errors import ConfigError, ModelyardError

if TYPE_CHECKING:  # the registry (SQLAlchemy) loads when a command runs, not for --help
    from modelyard.registry.rollouts import RolloutStore
    from modelyard.routing.actions import Action

app = typer.Typer(
    help="Watch and steer an endpoint's rollout (canary, A/B test, bandit, shadow): its "
    "variants' figures, the verdict so far, and pause, resume, abort or promote with a reason.",
    no_args_is_help=True,
)

TIMEOUT_S = 30.0
"""How long a command waits for the server's answer."""

ENDPOINT = typer.Argument(..., help="the endpoint's id, as endpoints.yaml names it")
SERVER = typer.Option(
    None,
    "--server",
    envvar="MODELYARD_SERVER",
    metavar="URL",
    help="a running server, e.g. http://127.0.0.1:8000 (default: the registry database)",
)
TOKEN = typer.Option(
    None,
    "--token",
    envvar="MODELYARD_TOKEN",
    metavar="TOKEN",
    help="the server's admin token (actions always need one)",
)
REASON = typer.Option(..., "--reason", help="why: kept in the rollout's history")


def _server_call(
    server: str, method: str, path: str, token: str | None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The status document the server answers, or its error message as one error line."""
    import httpx
    import orjson

    if not server.startswith(("http://", "https://")):
        raise ConfigError(f"--server expects an http:// or https:// URL, got {server!r}")
    url = server.rstrip("/") + path
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    try:
        response = httpx.request(method, url, json=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.TimeoutException:
        raise ModelyardError(
            f"the server at {server} did not answer within {TIMEOUT_S:g} s"
        ) from None
    except httpx.HTTPError:
        raise ModelyardError(
            f"cannot connect to the server at {server}: is `modelyard serve` running there?"
        ) from None
    try:
        answer = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        answer = None
    if response.status_code == 200 and isinstance(answer, dict):
        return answer
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        raise ModelyardError(answer["error"])
    raise ModelyardError(
        f"the server at {server} answered {response.status_code} without a rollout status"
    )


def _path(endpoint: str) -> str:
    return quote(endpoint, safe="")


def _store(ctx: typer.Context) -> RolloutStore:
    return registry_from(ctx).rollouts


def _local_status(store: RolloutStore, endpoint: str) -> dict[str, Any]:
    from modelyard.registry.rollouts import missing
    from modelyard.routing.status import status_document

    state = store.get(endpoint)
    if state is None:
        raise missing(endpoint, [known.endpoint for known in store.list()])
    return status_document(state, store.history(endpoint))


@app.command("status")
def status(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    as_json: bool = typer.Option(False, "--json", help="print the status document as JSON"),
    server: str | None = SERVER,
    token: str | None = TOKEN,
) -> None:
    """Each variant's weight, requests, errors, latency, agreement and rewards; the verdict."""
    if server is not None:
        document = _server_call(server, "GET", f"/endpoints/{_path(endpoint)}/rollout", token)
    else:
        document = _local_status(_store(ctx), endpoint)
    if as_json:
        import orjson

        typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        return
    for part in rollout_view.status(document):
        console.print(part)


def _act(
    ctx: typer.Context,
    endpoint: str,
    action: Action,
    reason: str,
    variant: str | None,
    server: str | None,
    token: str | None,
) -> None:
    """Apply ``action`` (on the server, or in the registry database) and print what changed."""
    if not reason.strip():
        raise ConfigError(f"rollout {action} needs a reason: expected a non-empty --reason")
    if server is not None:
        path = f"/admin/rollouts/{_path(endpoint)}/{action}"
        body = {"reason": reason, "variant": variant}
        document = _server_call(server, "POST", path, token, body)
    else:
        from modelyard.registry.registry import default_actor
        from modelyard.routing.actions import manual

        actor = default_actor()
        store = _store(ctx)
        store.sync(
            endpoint,
            {},
            decide=lambda state: manual(state, action, actor=actor, reason=reason, variant=variant),
        )
        document = _local_status(store, endpoint)
    for part in rollout_view.acted(document):
        console.print(part)


def _action(action: Action, summary: str) -> Callable[..., None]:
    """The command of one action that takes no variant (pause, resume, abort)."""

    def command(
        ctx: typer.Context,
        endpoint: str = ENDPOINT,
        reason: str = REASON,
        server: str | None = SERVER,
        token: str | None = TOKEN,
    ) -> None:
        _act(ctx, endpoint, action, reason, None, server, token)

    command.__doc__ = summary
    return command


app.command("pause")(
    _action("pause", "Hold the weights where they are: no step advances, nothing is judged.")
)
app.command("resume")(
    _action("resume", "Run a paused or inconclusive rollout again, from a fresh step.")
)
app.command("abort")(_action("abort", "Stop the rollout: the primary answers every request again."))


@app.command("promote")
def promote(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    reason: str = REASON,
    variant: str | None = typer.Option(
        None, "--variant", metavar="NAME", help="the variant that wins (A/B tests, bandits)"
    ),
    server: str | None = SERVER,
    token: str | None = TOKEN,
) -> None:
    """End the rollout with a winner; a canary's candidate takes the primary's alias."""
    _act(ctx, endpoint, "promote", reason, variant, server, token)
