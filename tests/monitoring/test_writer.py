"""The writer thread's batching: a full batch is written without waiting for ``flush_every``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from modelyard.monitoring.capture import Capture
from modelyard.monitoring.store import open_store
from modelyard.monitoring.writer import FLUSH_RECORDS, LogWriter
from modelyard.pipeline.spec import Logging
from modelyard.registry import Registry


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_batch_of_flush_records_is_written_long_before_flush_every(tmp_path: Path) -> None:
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}", str(tmp_path / "artifacts"))
    store = open_store("registry", registry)
    writer = LogWriter(lambda where: store)
    capture = writer.attach(Capture("cancer", Logging(flush_every=3600.0)))
    capture.failed(None, "req-first", 503, 0.001, "overloaded")
    writer.start()
    try:
        assert wait_for(lambda: writer.written["cancer"] == 1, 10.0)  # the flush at start
        for n in range(FLUSH_RECORDS):  # the next flush_every is an hour away
            capture.failed(None, f"req-{n}", 503, 0.001, "overloaded")
        assert wait_for(lambda: writer.written["cancer"] == 1 + FLUSH_RECORDS, 10.0)
        assert len(store.read("cancer")) == 1 + FLUSH_RECORDS
    finally:
        writer.stop()
        registry.close()
