"""When a failed call is sent again, and how long the client waits before it does.

Only two failures are worth another try: a 503 (the model failed to run, or a replica is
restarting) and a connection that could not be made or broke. Both pass, or get worse under
load, so the waits grow exponentially with full jitter (a random share of the current step,
so clients that failed together do not come back together), a ``Retry-After`` from the
server wins over the step, and two bounds stop it: at most ``attempts`` tries, and no wait
that would end past ``deadline_s`` from the first try.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Retry:
    """How hard a client tries: ``Retry(attempts=1)`` never sends a request twice."""

    attempts: int = 4
    """Tries in all, the first included."""
    deadline_s: float = 30.0
    """No wait ends later than this many seconds after the first try began."""
    backoff_s: float = 0.1
    """The first step; each next one is twice the last, up to ``max_backoff_s``."""
    max_backoff_s: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("Retry.attempts must be at least 1 (the first try)")
        if self.deadline_s < 0 or self.backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("Retry's deadline and backoff must be seconds, not negative")


@dataclass
class Attempts:
    """The tries of one call so far, and the wait before the next one."""

    retry: Retry
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[float, float], float] = random.uniform
    tries: int = 1
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def pause(self, retry_after: float | None) -> float | None:
        """Seconds to wait before the next try, or ``None`` when the call must give up."""
        if self.tries >= self.retry.attempts:
            return None
        step = min(self.retry.max_backoff_s, self.retry.backoff_s * 2 ** (self.tries - 1))
        wait = retry_after if retry_after is not None else self.jitter(0.0, step)
        if self.clock() + wait > self.started + self.retry.deadline_s:
            return None
        self.tries += 1
        return wait


def retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header as seconds (it may be a number or an HTTP date); ``None``
    when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": a time in UTC from an unknown zone
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
