"""Reading the prediction log back: :func:`predictions`, and what the CLI shares with it.

A range is given as a duration back from now (``"24h"``, ``"30m"``, ``"7d"``) or as a time
(a timezone-aware ``datetime``, or an ISO string; one without a zone is read as UTC, the
zone the log keeps).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from modelyard.core.errors import ConfigError, NotFoundError
from modelyard.monitoring.store import LogStore, open_store
from modelyard.pipeline.config_values import parse_duration

if TYPE_CHECKING:
    import pandas as pd

    from modelyard.registry import Registry

When = str | datetime | None
"""A bound of a range: a duration back from now, a time, or ``None`` (unbounded)."""


def moment(value: When, *, now: datetime, label: str) -> datetime | None:
    """The UTC time ``value`` means; a one-line :class:`ConfigError` naming ``label`` if none."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _utc(value)
    try:
        seconds = parse_duration(value)
    except ValueError:
        try:
            return _utc(datetime.fromisoformat(value.strip()))
        except ValueError:
            raise ConfigError(
                f"{label}: {value!r} is neither a duration (e.g. 24h, 30m, 7d) nor an ISO time "
                "(e.g. 2026-12-01T08:00:00Z)"
            ) from None
    if not isinstance(seconds, float) or seconds <= 0:
        raise ConfigError(f"{label}: a duration back from now must be positive, got {value!r}")
    return now - timedelta(seconds=seconds)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@contextmanager
def opened_store(store: str, registry: Registry | None) -> Iterator[LogStore]:
    """The store ``store`` names; the default registry is opened (and closed after) only when
    the store is the registry's database and no registry was given."""
    if store != "registry" or registry is not None:
        yield open_store(store, registry)
        return
    from modelyard.registry import Registry

    own = Registry(create=False)
    try:
        yield open_store(store, own)
    finally:
        own.close()


def no_records(endpoint: str, store: str) -> NotFoundError:
    """The error for an endpoint that never logged a record to ``store``."""
    return NotFoundError(
        f"endpoint {endpoint!r} has no logged predictions in the {store} store: is "
        "logging.sample_rate (or keep_errors) set for it, and is this the store it writes to?"
    )


def predictions(
    endpoint: str,
    since: When = "24h",
    until: When = None,
    variant: str | None = None,
    store: str = "registry",
    registry: Registry | None = None,
) -> pd.DataFrame:
    """``endpoint``'s logged predictions from ``since`` (default: the last 24 hours) until
    ``until`` (default: now), optionally of one variant, oldest first.

    One row per request instance; one typed column per log column, named as
    :mod:`modelyard.monitoring.columns` says (``time``, ``request_id``, ...,
    ``input.<feature>``, ``output.<key>``). ``store`` is the endpoint's ``logging.store``;
    ``registry`` defaults to the one every other function finds (``MODELYARD_REGISTRY_URL``,
    else the nearest ``.modelyard/``).
    """
    now = datetime.now(UTC)
    start = moment(since, now=now, label="since")
    end = moment(until, now=now, label="until")
    with opened_store(store, registry) as log:
        return log.read(endpoint, since=start, until=end, variant=variant)
