"""Which variant answered each recent request, so feedback credits that variant only.

Filled on the request path with one dict insert (no I/O, no lock: event loop thread only):
request id → (arm, the labels it predicted, when). The newest ``capacity`` requests stay in
memory; for a rollout the rows also wait in ``pending`` until the rollout syncer writes them
to the registry database, where any replica finds them for the whole feedback window.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

DEFAULT_CAPACITY = 200_000
"""Requests remembered in memory per endpoint (about 200 bytes each)."""


class Answered(NamedTuple):
    """A request this server answered: by which arm, with which labels, at what time."""

    arm: str
    labels: list[Any] | None
    at: float


class Ledger:
    """The recent requests of one endpoint, by request id."""

    __slots__ = ("_capacity", "_persist", "_recent", "pending")

    def __init__(self, *, persist: bool, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._persist = persist
        self._recent: dict[str, Answered] = {}
        self.pending: list[tuple[str, str, list[Any] | None]] = []
        """Rows not yet written to the database: (request id, arm, labels)."""

    def add(self, request_id: str, arm: str, labels: list[Any] | None) -> None:
        """Remember that ``arm`` answered ``request_id`` with ``labels``."""
        recent = self._recent
        recent[request_id] = Answered(arm, labels, time.time())
        if len(recent) > self._capacity:
            del recent[next(iter(recent))]  # dicts keep insertion order: the oldest goes
        if self._persist:
            self.pending.append((request_id, arm, labels))

    def find(self, request_id: str, window_s: float) -> Answered | None:
        """The request if this server answered it within ``window_s`` seconds."""
        found = self._recent.get(request_id)
        if found is None or time.time() - found.at > window_s:
            return None
        return found

    def take_pending(self) -> list[tuple[str, str, list[Any] | None]]:
        """The rows to write now; the ledger starts a new list."""
        rows, self.pending = self.pending, []
        return rows
