#!/usr/bin/env bash
# Create a private virtual environment holding MLServer for the `v2` runner tests.
#
# MLServer pins its own dependency tree (fastapi, uvloop, ...) which must not leak into
# modelyard's environment, hence a venv of its own. uvloop is pinned to 0.21.0 because
# MLServer 1.7.1 dies at start ("There is no current event loop") beside uvloop 0.23.
#
# Usage: .ci/setup-mlserver.sh   then   export MODELYARD_MLSERVER_BIN=<printed path>
set -euo pipefail

venv="${MODELYARD_MLSERVER_VENV:-/opt/modelyard-mlserver}"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/mlserver" ]]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet \
        "mlserver==1.7.1" \
        "mlserver-sklearn==1.7.1" \
        "uvloop==0.21.0"
fi

"$venv/bin/mlserver" --version >&2
echo "$venv/bin/mlserver"
