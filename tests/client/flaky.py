"""A real HTTP server in front of the modelyard server that fails on a script.

Each request it receives takes the next action of its script: ``"503"`` (with
``Retry-After`` when the action says ``"503:SECONDS"``), ``"reset"`` (the connection is
reset before any answer), ``"garbage"`` (a 200 that is not JSON), another status (an HTML
page of that status, as a proxy in the way sends); once the
script is spent, requests are forwarded to the upstream server and its answer is passed back.
The port may be bound without listening, so connections are refused until :meth:`open`.
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_PASSED = ("content-type", "authorization", "x-request-id")
_RETURNED = ("content-type", "x-request-id", "server-timing", "x-model-name",
             "x-model-version", "x-variant")  # fmt: skip
_REFUSAL = b'{"error": "try again later", "request_id": "proxy-1"}'


@dataclass
class Seen:
    """One request the proxy received."""

    method: str
    path: str
    body: bytes
    action: str


@dataclass
class FlakyProxy:
    """The proxy's script, what it has seen, and its address."""

    upstream: str
    script: list[str]
    seen: list[Seen] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    serving: bool = False

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def bind(self) -> FlakyProxy:
        """Take a port without listening on it: connections to it are refused."""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.answer(self)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.daemon_threads = True
        self.server.server_bind()
        return self

    def open(self) -> FlakyProxy:
        """Listen and answer, in a thread."""
        assert self.server is not None
        self.server.server_activate()
        self.serving = True
        poll_s = 0.05  # how soon a shutdown is noticed
        threading.Thread(target=self.server.serve_forever, args=(poll_s,), daemon=True).start()
        return self

    def __enter__(self) -> FlakyProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        if self.serving:
            self.server.shutdown()
        self.server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length)
        action = self.script.pop(0) if self.script else "forward"
        self.seen.append(Seen(handler.command, handler.path, body, action))
        if action == "reset":
            linger = struct.pack("ii", 1, 0)  # close with RST, as a crashed peer would
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            handler.close_connection = True
            return
        if action == "forward":
            self._forward(handler, body)
            return
        status, _, after = action.partition(":")
        if status == "503":
            content, kind = _REFUSAL, "application/json"
        else:  # a page, as a proxy in the way sends one
            status = "200" if action == "garbage" else status
            content, kind = b"<html>not json</html>", "text/html"
        handler.send_response(int(status))
        handler.send_header("content-type", kind)
        handler.send_header("content-length", str(len(content)))
        if after:
            handler.send_header("retry-after", after)
        handler.end_headers()
        handler.wfile.write(content)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() in _PASSED}
        upstream = httpx.request(
            handler.command, self.upstream + handler.path, content=body, headers=headers,
            timeout=30,
        )  # fmt: skip
        handler.send_response(upstream.status_code)
        for name in _RETURNED:
            if name in upstream.headers:
                handler.send_header(name, upstream.headers[name])
        handler.send_header("content-length", str(len(upstream.content)))
        handler.end_headers()
        handler.wfile.write(upstream.content)
