#!/usr/bin/env bash
# Create the virtual environments of the two peers that benchmarks/serve_bench.py measures.
#
# MLServer: reuses .ci/setup-mlserver.sh (venv at ${MODELYARD_MLSERVER_VENV:-/opt/modelyard-mlserver}).
# LitServe: litserve, onnxruntime and numpy in ${MODELYARD_LITSERVE_VENV:-/opt/modelyard-litserve}.
# Each venv is created only when missing; both stay out of modelyard's own environment.
#
# Usage: benchmarks/setup-peers.sh   then   python benchmarks/serve_bench.py --duration 8
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
litserve_venv="${MODELYARD_LITSERVE_VENV:-/opt/modelyard-litserve}"

"$here/../.ci/setup-mlserver.sh" >/dev/null

if [[ ! -x "$litserve_venv/bin/python" ]] \
    || ! "$litserve_venv/bin/python" -c "import litserve, onnxruntime, numpy" 2>/dev/null; then
    "$python" -m venv "$litserve_venv"
    "$litserve_venv/bin/pip" install --quiet --upgrade pip
    "$litserve_venv/bin/pip" install --quiet litserve onnxruntime numpy
fi

"$litserve_venv/bin/python" -c "import litserve; print('litserve', litserve.__version__)" >&2
echo "MLServer venv: ${MODELYARD_MLSERVER_VENV:-/opt/modelyard-mlserver}"
echo "LitServe venv: $litserve_venv"
