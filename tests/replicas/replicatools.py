"""Replicas as users run them: ``modelyard serve`` processes, each in a folder of its own,
on one registry database and one artifact store; and a TCP link to the database that a test
can cut, as a network partition would."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from nettools import free_port
from serving.servertools import RunningServer, launch

READY_DEADLINE_S = 90


def start_replica(
    endpoints_file: Path, workdir: Path, registry_url: str, artifacts: str, reload_s: float
) -> RunningServer:
    """``modelyard serve`` in a new folder under ``workdir`` (its own package cache), the
    registry and artifact store given through the environment; return once it is ready."""
    port = free_port()
    folder = workdir / f"replica-{port}"
    folder.mkdir()
    log = folder / "server.log"
    command = [
        str(Path(sys.executable).with_name("modelyard")), "serve", str(endpoints_file),
        "--port", str(port), "--reload-interval", str(reload_s), "--log-format", "json",
    ]  # fmt: skip
    environment = {
        **os.environ,
        "MODELYARD_REGISTRY_URL": registry_url,
        "MODELYARD_ARTIFACTS": artifacts,
    }
    return launch(command, port, log, env=environment, cwd=folder)


@contextlib.contextmanager
def replicas(count: int, *args: object, **kwargs: object) -> Iterator[list[RunningServer]]:
    """``count`` replicas started with :func:`start_replica`'s arguments, stopped after."""
    running: list[RunningServer] = []
    try:
        for _ in range(count):
            running.append(start_replica(*args, **kwargs))  # type: ignore[arg-type]
        yield running
    finally:
        for replica in running:
            replica.stop()


class TcpLink:
    """``127.0.0.1:port`` forwarded to ``target``: :meth:`cut` closes the port and every
    connection through it (the far side sees resets, new connections are refused);
    :meth:`restore` opens it again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.port = free_port()
        self._target = target
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
        self._listener.close()
        with self._lock:
            for connection in self._open:
                _close(connection)
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    _close(source)
    _close(sink)


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
