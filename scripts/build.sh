#!/usr/bin/env bash
# Configures and builds hydra into build/ (the plain CMake commands).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -G Ninja
fi
cmake --build build
