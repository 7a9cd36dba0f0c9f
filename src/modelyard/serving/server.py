"""Run the server: uvicorn (uvloop + httptools) in front of :class:`~modelyard.serving.app.Server`.

uvicorn's workers are separate processes that each import the app, so the configuration
travels in environment variables and every worker builds its own app through
:func:`app_from_environment`. Each worker loads every endpoint, batches on its own and
exposes its own ``/metrics``.

Shutdown (SIGINT/SIGTERM) is uvicorn's graceful one: it stops accepting connections, lets the
requests in flight finish (up to ``GRACE_S``), then the app drains its batchers and closes
its models.
"""

from __future__ import annotations

import errno
import os
import socket

import uvicorn

from modelyard.core.errors import ConfigError
from modelyard.pipeline import load_endpoints
from modelyard.pipeline.endpoint import read_endpoints_file
from modelyard.registry import Registry
from modelyard.registry.location import locate
from modelyard.serving import logs
from modelyard.serving.app import Server

GRACE_S = 30
_ENDPOINTS = "MODELYARD_SERVE_ENDPOINTS"
_RELOAD = "MODELYARD_SERVE_RELOAD_S"
_TIMEOUT = "MODELYARD_SERVE_TIMEOUT_S"
_BODY_TIMEOUT = "MODELYARD_SERVE_BODY_TIMEOUT_S"
_REGISTRY = "MODELYARD_REGISTRY_URL"
_LOG_FORMAT = "MODELYARD_LOG_FORMAT"
_ROLLOUT_TICK = "MODELYARD_SERVE_ROLLOUT_TICK_S"


def app_from_environment() -> Server:
    """The app a worker serves, configured by :func:`run` through the environment."""
    logs.configure(
        os.environ.get("MODELYARD_LOG_LEVEL", "info"), os.environ.get(_LOG_FORMAT, "auto")
    )
    registry = Registry(os.environ.get(_REGISTRY), create=False)
    endpoints = load_endpoints(os.environ[_ENDPOINTS], registry)
    reload_s = float(os.environ.get(_RELOAD, "5"))
    return Server(
        endpoints,
        registry,
        reload_interval_s=reload_s or None,
        timeout_s=float(os.environ.get(_TIMEOUT, "30")),
        body_timeout_s=float(os.environ.get(_BODY_TIMEOUT, "30")),
        rollout_interval_s=float(os.environ.get(_ROLLOUT_TICK, "1")),
    )


def run(
    endpoints_file: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    registry: str | None = None,
    artifacts: str | None = None,
    reload_interval_s: float = 5.0,
    timeout_s: float = 30.0,
    body_timeout_s: float = 30.0,
    keep_alive_s: int = 5,
    log_format: logs.LogFormat = "auto",
    rollout_tick_s: float = 1.0,
) -> None:
    """Serve the endpoints of ``endpoints_file`` until interrupted.

    ``body_timeout_s``: a request body not complete by then is answered 408;
    ``keep_alive_s``: an idle connection is closed after it (uvicorn's keep-alive timeout);
    ``rollout_tick_s``: how often rollout counts are written and strategies judged.
    """
    # Fail here, in one line, before uvicorn starts workers and loads any model: a bad file
    # (file:line), no registry where one was looked for, a port another process holds.
    read_endpoints_file(endpoints_file)
    where = locate(registry, artifacts)
    check_port(host, port)
    os.environ[_ENDPOINTS] = str(os.path.abspath(endpoints_file))
    os.environ[_RELOAD] = str(reload_interval_s)
    os.environ[_TIMEOUT] = str(timeout_s)
    os.environ[_BODY_TIMEOUT] = str(body_timeout_s)
    os.environ[_ROLLOUT_TICK] = str(rollout_tick_s)
    os.environ[_REGISTRY] = where.url
    os.environ["MODELYARD_ARTIFACTS"] = where.artifacts
    os.environ[_LOG_FORMAT] = logs.resolve_format(log_format)  # workers' stderr is ours
    logs.configure(log_format=log_format)
    uvicorn.run(
        "modelyard.serving.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        # X-Forwarded-For/-Proto are not trusted by default: nothing on the predict path reads
        # the client address, and the middleware that rewrites it costs ~2% of the CPU per
        # request at 64 connections. Behind a proxy, its access log has the addresses.
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=GRACE_S,
        timeout_keep_alive=keep_alive_s,
    )


def check_port(host: str, port: int) -> None:
    """Refuse an address another process listens on (or that cannot be bound), in one line.

    Bound and released at once with ``SO_REUSEADDR``, as uvicorn binds, so a port left in
    ``TIME_WAIT`` by a stopped server is not refused.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except socket.gaierror:
        raise ConfigError(f"--host {host}: no such host name or address") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"--port {port}: {host}:{port} is already in use; stop what listens there "
                "or pass --port with a free port"
            ) from None
        raise ConfigError(
            f"--host {host} --port {port}: cannot listen there: {error.strerror}"
        ) from None
