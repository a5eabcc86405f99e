#!/usr/bin/env bash
# Builds the device kit into DIR: everything a GPU machine with Python,
# numpy and (for the bench) torch needs to check and measure hydra, with no
# network and no LLVM (docs/gpu.md, "The device kit"):
#
#   DIR/run.sh             runs it: ./run.sh [--device cuda|gpu-emulator]
#                          [--out results.json] [--no-bench]
#   DIR/bin, DIR/lib       hydra-run, hydra-inspect and libhydra_runtime
#   DIR/python/hydrahead   the Python package (runtime only)
#   DIR/cases/NAME/        an artifact (sm_90 and emulator code),
#                          its inputs and its float64 reference
#   DIR/bench/             the bench's artifacts (shapes of a 7:1 layer)
#   DIR/wheels/            fla-core (fla's chunk kernels), einops, ml_dtypes
#
# Needs a build (scripts/build.sh) and scripts/setup.sh's .venv. Fails if
# the kit would exceed 64 MiB.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: scripts/device-kit.sh DIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${HYDRA_BUILD_DIR:-$root/build}
exec "$root/.venv/bin/python" "$root/scripts/device_kit/build_kit.py" \
  --build "$build" --out "$1"
