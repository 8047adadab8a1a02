#!/usr/bin/env bash
# Install (idempotent) and run the main job on the built-in recording (or on the FILE given).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/neurodiscovery analyze "$@"
