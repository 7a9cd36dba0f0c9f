"""``modelyard predictions tail|export``: the newest logged predictions, or a range in a file.

Both read the store an endpoint logs to: ``--store`` (``registry`` or ``parquet:PATH``), or
the endpoint's ``logging.store`` in ``--endpoints endpoints.yaml``, else the registry
database. The reading itself is :func:`modelyard.monitoring.read.predictions`'s.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from modelyard.cli.context import console, registry_from
from modelyard.cli.log_options import ENDPOINTS, STORE
from modelyard.core.errors import ConfigError, ModelyardError

if TYPE_CHECKING:  # pandas and the stores load when a command runs, not for --help
    import pandas as pd

    from modelyard.monitoring.store import LogStore

app = typer.Typer(
    help="Read the prediction log: the newest records of an endpoint, or a range exported "
    "to Parquet or CSV.",
    no_args_is_help=True,
)

ENDPOINT = typer.Argument(..., help="the endpoint's id, as endpoints.yaml names it")
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
POLL_S = 1.0
"""How often ``tail --follow`` asks the store for new records."""
LOOKBACK = timedelta(seconds=30)
"""How far before the newest record printed ``tail --follow`` looks for records written late
(a record later than this after its own time, e.g. with ``flush_every`` above it, is missed)."""


def _store_name(endpoint: str, store: str | None, endpoints: Path | None) -> str:
    """``--store``, else the endpoint's ``logging.store`` in ``--endpoints``, else the
    registry (the rule every prediction-log command follows)."""
    from modelyard.monitoring.labelled import endpoint_spec, store_name

    return store_name(endpoint_spec(endpoint, endpoints), store)


def _open(ctx: typer.Context, name: str) -> LogStore:
    from modelyard.monitoring.store import open_store

    return open_store(name, registry_from(ctx) if name == "registry" else None)


def _text(value: Any) -> str:
    """A cell: empty for a missing value (None, NaN, <NA>)."""
    import pandas as pd

    return "" if pd.isna(value) else str(value)


def _output(row: dict[Any, Any]) -> str:
    """What a record answered (label, else value, else score), or its error."""
    for key in ("output.label", "output.value", "output.score", "error"):
        text = _text(row.get(key))
        if text:
            return text
    return ""


def _table(frame: pd.DataFrame, header: bool) -> Table:
    table = Table(show_header=header, box=None, pad_edge=False)
    for title, justify in (
        ("time (UTC)", "left"), ("request id", "left"), ("variant", "left"),
        ("version", "right"), ("status", "right"), ("latency ms", "right"),
        ("label / value", "left"),
    ):  # fmt: skip
        table.add_column(title, justify=justify, no_wrap=title != "label / value")  # type: ignore[arg-type]
    for row in frame.to_dict("records"):
        instance = f"#{row['instance']}" if row["instance"] else ""
        table.add_row(
            row["time"].strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            f"{row['request_id']}{instance}",
            _text(row["variant"]),
            _text(row["version"]),
            _text(row["status"]),
            _text(round(row["latency_ms"], 2)),
            _output(row),
        )
    return table


@app.command("tail")
def tail(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    lines: int = typer.Option(20, "-n", "--lines", min=1, help="how many of the newest records"),
    store: str | None = STORE,
    endpoints: Path | None = ENDPOINTS,
    follow: bool = typer.Option(False, "--follow", help="keep printing new records as they come"),
) -> None:
    """Show the newest logged predictions of ENDPOINT, oldest of them first."""
    name = _store_name(endpoint, store, endpoints)
    log = _open(ctx, name)
    newest = log.read(endpoint, limit=lines, newest_first=True)
    if newest.empty:
        from modelyard.monitoring.read import no_records

        raise no_records(endpoint, name)
    frame = newest.iloc[::-1]
    console.print(_table(frame, header=True))
    if follow:
        _follow(log, endpoint, frame)


def _follow(log: LogStore, endpoint: str, shown: pd.DataFrame) -> None:
    """Print records not printed yet until interrupted (Ctrl-C ends it cleanly).

    Records reach the store up to a flush after their time, and not in time order (an
    endpoint's variants and its failures are written as separate batches), so each poll
    reads from :data:`LOOKBACK` before the newest time printed and skips the records it
    printed already.
    """
    seen = _printed(shown)
    last = shown["time"].max()
    try:
        while True:
            time.sleep(POLL_S)
            since = last - LOOKBACK
            rows = log.read(endpoint, since=since.to_pydatetime())
            keys = list(zip(rows["request_id"], rows["instance"], strict=True))
            fresh = rows[[key not in seen for key in keys]]
            if not fresh.empty:
                console.print(_table(fresh, header=False))
                last = max(last, fresh["time"].max())
            seen = {key: at for key, at in seen.items() if at >= since} | _printed(fresh)
    except KeyboardInterrupt:
        return


def _printed(frame: pd.DataFrame) -> dict[tuple[str, int], pd.Timestamp]:
    """The records of ``frame`` (request id, instance) and their times."""
    return dict(
        zip(zip(frame["request_id"], frame["instance"], strict=True), frame["time"], strict=True)
    )


@app.command("export")
def export(
    ctx: typer.Context,
    endpoint: str = ENDPOINT,
    out: Path = typer.Option(..., "--out", help="the file to write"),
    since: str = typer.Option(
        "24h", "--since", help="a duration back from now (24h, 30m, 7d) or an ISO time"
    ),
    until: str | None = typer.Option(
        None, "--until", help="a duration back from now or an ISO time (default: now)"
    ),
    variant: str | None = typer.Option(None, "--variant", help="only this variant's records"),
    fmt: str | None = typer.Option(
        None,
        "--format",
        metavar="parquet|csv",
        help="the file's format (default: from the extension of --out)",
    ),
    store: str | None = STORE,
    endpoints: Path | None = ENDPOINTS,
) -> None:
    """Write ENDPOINT's logged predictions of a time range to a Parquet or CSV file."""
    from modelyard.monitoring.read import moment, no_records

    kind = _format(fmt, out)
    now = datetime.now(UTC)
    start = moment(since, now=now, label="--since")
    end = moment(until, now=now, label="--until")
    name = _store_name(endpoint, store, endpoints)
    log = _open(ctx, name)
    frame = log.read(endpoint, since=start, until=end, variant=variant)
    if frame.empty and log.read(endpoint, limit=1).empty:
        raise no_records(endpoint, name)
    try:
        if kind == "parquet":
            frame.to_parquet(out, index=False)
        else:
            frame.to_csv(out, index=False)
    except OSError as error:
        raise ModelyardError(f"cannot write {out}: {error.strerror or error}") from None
    console.print(
        f"wrote {len(frame)} record{'' if len(frame) == 1 else 's'} of {endpoint} to {out} "
        f"({kind})",
        markup=False,
        highlight=False,
    )


def _format(fmt: str | None, out: Path) -> str:
    if fmt is not None:
        if fmt not in ("parquet", "csv"):
            raise ConfigError(f"--format: expected parquet or csv, got {fmt!r}")
        return fmt
    found = FORMATS.get(out.suffix.lower())
    if found is None:
        raise ConfigError(
            f"--format: cannot tell the format from {out.name!r}: name it .parquet or .csv, "
            "or pass --format parquet|csv"
        )
    return found
