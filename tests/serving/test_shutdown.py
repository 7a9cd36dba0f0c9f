"""Graceful shutdown: a request in flight when the server is told to stop still gets its answer."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import orjson
from servertools import start_server

from modelyard.demo import Demo


def test_a_request_in_flight_finishes_after_sigterm(demo: Demo, tmp_path: Path) -> None:
    server = start_server(demo, demo.endpoints_file, tmp_path)
    body = orjson.dumps({"instances": [demo.cancer_record]})
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        head = (
            f"POST /endpoints/breast-cancer/predict HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        connection.sendall(head.encode() + body[:10])
        server.process.send_signal(signal.SIGTERM)
        connection.sendall(body[10:])
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b'"predictions"' in answer
    assert server.process.wait(60) in (0, -signal.SIGTERM)
    assert '"message":"stopped"' in server.log_text()
