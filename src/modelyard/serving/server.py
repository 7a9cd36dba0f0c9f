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

import os

import uvicorn

from modelyard.pipeline import load_endpoints
from modelyard.pipeline.endpoint import read_endpoints_file
from modelyard.registry import Registry
from modelyard.serving import logs
from modelyard.serving.app import Server

GRACE_S = 30
_ENDPOINTS = "MODELYARD_SERVE_ENDPOINTS"
_RELOAD = "MODELYARD_SERVE_RELOAD_S"
_TIMEOUT = "MODELYARD_SERVE_TIMEOUT_S"
_BODY_TIMEOUT = "MODELYARD_SERVE_BODY_TIMEOUT_S"
_REGISTRY = "MODELYARD_REGISTRY_URL"


def app_from_environment() -> Server:
    """The app a worker serves, configured by :func:`run` through the environment."""
    logs.configure(os.environ.get("MODELYARD_LOG_LEVEL", "info"))
    registry = Registry(os.environ.get(_REGISTRY))
    endpoints = load_endpoints(os.environ[_ENDPOINTS], registry)
    reload_s = float(os.environ.get(_RELOAD, "5"))
    return Server(
        endpoints,
        registry,
        reload_interval_s=reload_s or None,
        timeout_s=float(os.environ.get(_TIMEOUT, "30")),
        body_timeout_s=float(os.environ.get(_BODY_TIMEOUT, "30")),
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
) -> None:
    """Serve the endpoints of ``endpoints_file`` until interrupted.

    ``body_timeout_s``: a request body not complete by then is answered 408;
    ``keep_alive_s``: an idle connection is closed after it (uvicorn's keep-alive timeout).
    """
    # Fail here, with the file's own message (file:line), before uvicorn starts workers.
    read_endpoints_file(endpoints_file)
    os.environ[_ENDPOINTS] = str(os.path.abspath(endpoints_file))
    os.environ[_RELOAD] = str(reload_interval_s)
    os.environ[_TIMEOUT] = str(timeout_s)
    os.environ[_BODY_TIMEOUT] = str(body_timeout_s)
    if registry:
        os.environ[_REGISTRY] = registry
    if artifacts:
        os.environ["MODELYARD_ARTIFACTS"] = artifacts
    logs.configure()
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
