"""A real S3 API server for the tests (moto's), on 127.0.0.1 with a free port.

The artifact store reaches it as users reach theirs: an ``s3://bucket/prefix`` URL, with the
endpoint and credentials in the environment (``FSSPEC_S3_ENDPOINT_URL``, ``AWS_*``), which
fsspec reads when it is imported, so server processes started by a test inherit them. In this
process fsspec is already imported: its configuration is set directly as well.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import fsspec.config
from moto.server import ThreadedMotoServer

from nettools import free_port


@dataclass(frozen=True)
class S3Server:
    """A running S3 API server and the environment that points fsspec at it."""

    endpoint_url: str
    environment: dict[str, str]

    def new_bucket(self) -> str:
        """An empty bucket of its own, as the ``s3://`` URL of a folder in it."""
        name = f"modelyard-{uuid.uuid4().hex[:12]}"
        filesystem = fsspec.filesystem("s3", skip_instance_cache=True)
        filesystem.mkdir(name)
        return f"s3://{name}/artifacts"


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start moto's S3 server; point this process and its children at it until exit."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 call, else
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint_url = f"http://127.0.0.1:{port}"
    environment = {
        "FSSPEC_S3_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "modelyard-tests",
        "AWS_SECRET_ACCESS_KEY": "modelyard-tests",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved_environment = {name: os.environ.get(name) for name in environment}
    saved_config = fsspec.config.conf.get("s3")
    os.environ.update(environment)
    fsspec.config.conf["s3"] = {"endpoint_url": endpoint_url}
    try:
        yield S3Server(endpoint_url, environment)
    finally:
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if saved_config is None:
            fsspec.config.conf.pop("s3", None)
        else:
            fsspec.config.conf["s3"] = saved_config
        server.stop()
