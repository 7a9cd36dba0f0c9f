"""Which variant answered each recent request, so feedback credits that variant only.

Filled on the request path with one dict insert (no I/O, no lock: event loop thread only):
request id → (arm, the labels it predicted, when). The newest ``capacity`` requests stay in
memory; for a rollout the answers also wait until the rollout syncer writes them to the
registry database, where any replica finds them for the whole feedback window. Requests the
server numbered go there as one block of bytes per tick
(:mod:`modelyard.registry.answer_blocks`); ids a client chose, several-instance requests and
late answers (numbered before the last block written) go as a row each.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, NamedTuple

from modelyard.registry.answer_blocks import NumberedAnswers

DEFAULT_CAPACITY = 200_000
"""Requests remembered in memory per endpoint (about 200 bytes each)."""


class Answered(NamedTuple):
    """A request this server answered: by which arm, with which labels, at what time."""

    arm: str
    labels: list[Any] | None
    at: float


class Ledger:
    """The recent requests of one endpoint, by request id."""

    __slots__ = ("_capacity", "_persist", "_recent", "numbered", "pending", "written_up_to")
    numbered: NumberedAnswers

    def __init__(self, *, persist: bool, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._persist = persist
        # An OrderedDict, not a dict: deleting a dict's oldest key walks past every slot
        # deleted before it (14 µs a request at 200,000), and trimming it in bulk stalls the
        # event loop for tens of ms; popitem(last=False) is O(1).
        self._recent: OrderedDict[str, Answered] = OrderedDict()
        self.pending: list[tuple[str, str, list[Any] | None]] = []
        """Rows not yet written: (request id, arm, labels)."""
        self.numbered = NumberedAnswers()
        """Server-numbered answers not yet written, coded as bytes."""
        self.written_up_to = 0
        """The highest number already written in a block: a later block starts above it."""

    def add(self, request_id: str, number: int | None, arm: str, labels: list[Any] | None) -> None:
        """Remember that ``arm`` answered ``request_id`` (numbered ``number`` by the server,
        or ``None`` when the client chose the id) with ``labels``."""
        recent = self._recent
        recent[request_id] = Answered(arm, labels, time.time())
        if len(recent) > self._capacity:
            recent.popitem(last=False)  # the oldest goes
        if self._persist:
            numbered = (
                number is not None
                and number > self.written_up_to
                and (labels is None or len(labels) == 1)
                and self.numbered.add(number, arm, labels[0] if labels else None)
            )
            if not numbered:
                self.pending.append((request_id, arm, labels))

    def find(self, request_id: str, window_s: float) -> Answered | None:
        """The request if this server answered it within ``window_s`` seconds."""
        found = self._recent.get(request_id)
        if found is None or time.time() - found.at > window_s:
            return None
        return found

    def take_pending(self) -> tuple[list[tuple[str, str, list[Any] | None]], NumberedAnswers]:
        """The rows and the numbered answers to write now; the ledger starts anew, and
        numbers up to the highest taken go to rows from now on (blocks never overlap)."""
        rows, self.pending = self.pending, []
        numbered, self.numbered = self.numbered, NumberedAnswers()
        if len(numbered):
            self.written_up_to = max(self.written_up_to, max(numbered.numbers))
        return rows, numbered
