"""The prediction log's writer thread: takes what the request path buffered, writes batches.

One daemon thread per server. Every endpoint's ``logging.flush_every``, or as soon as
:data:`FLUSH_RECORDS` wait, it takes the endpoint's buffered records (:meth:`Capture.take`,
safe against the event loop appending), converts them to columns
(:mod:`modelyard.monitoring.records`) and writes them through the endpoint's store, one
batch per variant (answered and failed requests apart). A failed write is logged (once a
minute per endpoint), counted, and its records dropped and counted: never retried, never
raised into the server. Retention: each store is pruned to ``logging.keep`` at start and
hourly. At shutdown the server stops the thread after one last flush.

What a crash (``kill -9``) loses is what was buffered since the endpoint's last flush:
normally ``flush_every`` seconds of sampled requests (or 2,000 records, whichever comes
first), and never more than ``logging.buffer`` records: one thread writes every endpoint and
prunes, so a slow store or a long prune delays the next flush, and the buffer's bound is then
what bounds the loss.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from modelyard.monitoring.capture import Capture, Record
from modelyard.monitoring.records import stacked_feeds, to_columns
from modelyard.monitoring.store import Columns, LogStore
from modelyard.monitoring.violations import ViolationCounter

log = logging.getLogger("modelyard.monitoring")

PRUNE_EVERY_S = 3600.0
FLUSH_RECORDS = 2_000
"""An endpoint is also flushed as soon as this many records wait (checked every
:data:`POLL_S`), not only every ``flush_every``. Records waiting in the buffer are young
objects every garbage collection of the event loop's thread walks and then promotes: at
12,000 requests/s a 1 s flush kept 12,000 of them, and gen-0 collections took 11-24 ms (7-12
with logging off) and an occasional gen-1 one 70-97 ms, the p99 of a logged endpoint
(``benchmarks/log_bench.py``). Batches of about 2,000 halve the collections' time, and
each flush holds the GIL for a few milliseconds rather than tens."""
POLL_S = 0.05
"""How often the writer looks at the buffers' lengths while any endpoint logs."""
SWITCH_INTERVAL_S = 0.0005
"""The GIL switch interval while the writer runs. The event loop gives up the GIL at every
poll; with Python's default (5 ms) a converting writer then kept it up to 5 ms each time, and
the loop served a burst of requests per 5 ms for as long as a flush lasted (the "convoy"):
logging every request cost 30% of throughput for 15% more CPU, and p99 went from 18 to
130 ms. At 0.5 ms the same run lost 17% (registry) and 1% (Parquet), and 0.1 nothing
measurable (``benchmarks/log_bench.py``, one shared machine). Since flushes are at most about
:data:`FLUSH_RECORDS` records it matters less: logging every request, 0.5 ms served 8% more
requests/s than the 5 ms default with the same p99 (two alternating pairs of 8 s runs, busy
machine), so it stays. A server where no endpoint samples never changes it."""

ERROR_LOG_EVERY_S = 60.0
"""A store that keeps failing is logged once a minute per endpoint and problem, not per
batch."""


class LogWriter:
    """The captures of every logging endpoint, and the thread that writes them."""

    def __init__(self, open_store: Callable[[str], LogStore]) -> None:
        """``open_store`` opens a ``logging.store`` location (once per location)."""
        self._open_store = open_store
        self._stores: dict[str, LogStore] = {}
        self.captures: dict[str, Capture] = {}
        self.written: Counter[str] = Counter()
        """Records written, by endpoint (writer thread only)."""
        self.write_errors: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        """Records dropped because their write failed (the full buffer's are the capture's)."""
        self.violations = ViolationCounter()
        self._due: dict[str, float] = {}
        self._pruned: dict[str, float] = {}
        self._last_error: dict[tuple[str, str], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._switch_interval: float | None = None

    def attach(self, capture: Capture) -> Capture:
        """Log ``capture``'s endpoint; a capture it replaces (a reload) hands over its
        buffer and counts. Returns the capture the request path should use."""
        old = self.captures.get(capture.endpoint)
        if old is not None:
            capture.buffer, capture.dropped = old.buffer, old.dropped
            capture.image_bytes_in, capture.image_bytes_out = (
                old.image_bytes_in, old.image_bytes_out,
            )  # fmt: skip
        self.captures[capture.endpoint] = capture
        return capture

    def start(self) -> None:
        """Start the thread (the app's startup); with sampled endpoints, shorten the GIL's
        switch interval (:data:`SWITCH_INTERVAL_S`)."""
        if any(capture.rate > 0 for capture in self.captures.values()):
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after a last flush of everything buffered (the app's shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def _run(self) -> None:
        while True:
            stopping = self._stop.is_set()
            now = time.monotonic()
            for capture in list(self.captures.values()):
                endpoint = capture.endpoint
                if now - self._pruned.get(endpoint, -PRUNE_EVERY_S) >= PRUNE_EVERY_S:
                    self._pruned[endpoint] = now
                    self._prune(capture)
                if (
                    stopping
                    or now >= self._due.get(endpoint, 0.0)
                    or len(capture.buffer) >= FLUSH_RECORDS
                ):
                    self._due[endpoint] = now + capture.settings.flush_every
                    self.flush(capture)
            if stopping:
                return
            wake = min(self._due.values(), default=now + 1.0)
            poll = POLL_S if self.captures else 1.0
            self._stop.wait(min(max(wake - time.monotonic(), 0.01), poll))

    def flush(self, capture: Capture) -> None:
        """Write what ``capture`` buffered; never raises."""
        records = capture.take()
        if records:
            for group in _groups(records):
                self._write(capture, group)

    def _write(self, capture: Capture, records: Sequence[Record]) -> None:
        endpoint = capture.endpoint
        try:
            columns, kinds = to_columns(endpoint, records, image=capture.image)
            self._store(capture).write(endpoint, Columns(columns, kinds))
        except Exception as error:
            self.write_errors[endpoint] += 1
            self.dropped[endpoint] += len(records)
            self._warn(endpoint, "prediction log write failed, records dropped", error)
            return
        self.written[endpoint] += len(records)
        variant = records[0].variant
        if records[0].status == 200 and not capture.image:
            try:
                self.violations.count(endpoint, variant, stacked_feeds(records))
            except Exception as error:
                self._warn(endpoint, "profile check of logged requests failed", error)

    def _prune(self, capture: Capture) -> None:
        endpoint = capture.endpoint
        before = datetime.now(UTC) - timedelta(seconds=capture.settings.keep)
        try:
            self._store(capture).prune(endpoint, before)
        except Exception as error:
            self._warn(endpoint, "prediction log retention failed", error)

    def _store(self, capture: Capture) -> LogStore:
        where = capture.settings.store
        store = self._stores.get(where)
        if store is None:
            store = self._stores[where] = self._open_store(where)
        return store

    def _warn(self, endpoint: str, message: str, error: Exception) -> None:
        now = time.monotonic()
        key = (endpoint, message)
        if now - self._last_error.get(key, -ERROR_LOG_EVERY_S) >= ERROR_LOG_EVERY_S:
            self._last_error[key] = now
            log.error(message, extra={"endpoint": endpoint, "error": str(error)})


def _groups(records: list[Record]) -> list[list[Record]]:
    """Records grouped by variant and by success, in order of first appearance."""
    groups: dict[tuple[int, bool], list[Record]] = defaultdict(list)
    for record in records:
        groups[id(record.variant), record.status == 200].append(record)
    return list(groups.values())
