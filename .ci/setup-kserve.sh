#!/usr/bin/env bash
# Create a private virtual environment holding the KServe Python SDK, whose v2 REST client the
# serving tests drive against a real modelyard server.
#
# The SDK pins its own dependency tree (fastapi, pydantic, grpcio, ...), which must not leak
# into modelyard's environment, hence a venv of its own.
#
# Usage: .ci/setup-kserve.sh   then   export MODELYARD_KSERVE_PYTHON=<printed path>
set -euo pipefail

venv="${MODELYARD_KSERVE_VENV:-/opt/modelyard-kserve}"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import kserve" 2>/dev/null; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "kserve==0.21.0"
fi

"$venv/bin/python" -c "from importlib.metadata import version; print('kserve', version('kserve'))" >&2
echo "$venv/bin/python"
