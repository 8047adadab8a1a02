#!/usr/bin/env bash
# Create .venv (if missing) and install neurodiscovery with every optional dependency (`all`) and the test
# tools, pinned by constraints.txt; then nlb-tools without its dependencies (it pins an old pandas that the
# rest of the stack cannot use; the parts we call need none of them).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e ".[all,test]"
.venv/bin/python -m pip install -q -c constraints.txt --no-deps nlb-tools
# spikeinterface declares zarr<3 for its zarr format (unused here) and mountainsort5 requires spikeinterface: both
# without their dependencies, which `all` already installs (see the `sorting` extra in pyproject.toml)
.venv/bin/python -m pip install -q -c constraints.txt --no-deps spikeinterface mountainsort5
