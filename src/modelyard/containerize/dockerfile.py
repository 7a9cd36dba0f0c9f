"""The text of the image: its Dockerfile and the entry script both the image and a plain
virtual environment run.

The entry script holds the serve command once: the Dockerfile runs it from ``/app``, and the
same script, run from the build context's ``app/`` folder, serves the same endpoints and
registry from there (host, port and folder come from the environment, nothing else differs).
"""

from __future__ import annotations

import sys

APP = "/app"
PORT = 8000
USER = "modelyard"
UID = 10001
ENTRY = "serve.sh"
DATA = "data"
"""The image's one writable folder besides the registry's (a volume): local log stores go here."""
HEALTH_PATH = "/v2/health/ready"

ENTRY_SCRIPT = """\
#!/bin/sh
# Serve the endpoints of this folder from the registry inside it.
# MODELYARD_HOST (default 0.0.0.0) and PORT (default 8000) choose where to listen; the folder
# is the one holding this script. Arguments are passed on to `modelyard serve`.
set -eu
app=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
cd "$app"
exec modelyard serve "$app/endpoints.yaml" \\
    --host "${MODELYARD_HOST:-0.0.0.0}" --port "${PORT:-8000}" \\
    --registry "sqlite:///$app/registry/registry.db" "$@"
"""

_HEALTH = (
    "import os, sys, urllib.request; "
    "url = 'http://127.0.0.1:' + os.environ.get('PORT', '8000') + '" + HEALTH_PATH + "'; "
    "sys.exit(0 if urllib.request.urlopen(url, timeout=2).status == 200 else 1)"
)


def base_image() -> str:
    """The slim Python image of the minor version running now (what the pins were proved on)."""
    return f"python:{sys.version_info.major}.{sys.version_info.minor}-slim"


def dockerfile(wheel: str, source: str, versions: list[str]) -> str:
    """The Dockerfile of a build context whose modelyard wheel is ``wheels/<wheel>``;
    ``source`` names the endpoints file it was made from, ``versions`` the refs (``name:N``)
    baked in, which a label shows to ``docker inspect``."""
    health = _HEALTH.replace('"', '\\"')
    return f"""\
# A modelyard server for {source}, written by `modelyard containerize`.
# Build: docker build -t NAME .   Run: docker run -p {PORT}:{PORT} NAME
FROM {base_image()}
LABEL io.modelyard.versions="{" ".join(versions)}"

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# The serving install only: modelyard's wheel and the pinned versions of requirements.txt.
COPY requirements.txt wheels/{wheel} /tmp/install/
RUN pip install --no-cache-dir -r /tmp/install/requirements.txt /tmp/install/{wheel} \\
    && rm -rf /tmp/install

RUN useradd --system --uid {UID} --user-group --no-create-home --home-dir {APP} {USER}

# Endpoints, verified packages and their registry; the server writes only the registry's
# database (prediction log, rollout state) and {APP}/{DATA} (local Parquet log stores), so
# only those are the user's, and {DATA}/ is a volume that outlives the container.
COPY app/ {APP}/
RUN chown {USER}:{USER} {APP}/registry {APP}/registry/registry.db {APP}/{DATA}
VOLUME {APP}/{DATA}
WORKDIR {APP}
USER {USER}

ENV PORT={PORT}
EXPOSE {PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \\
    CMD ["python", "-c", "{health}"]
ENTRYPOINT ["{APP}/{ENTRY}"]
"""
