#!/usr/bin/env bash
# The main job: set up, build, lower examples/hybrid_7to1.mlir to CPU code,
# run it and print the check against the float64 reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec .venv/bin/python examples/run_example.py "$@"
