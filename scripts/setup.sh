#!/usr/bin/env bash
# Installs everything hydra needs to build and test on a fresh Debian 12
# machine. Idempotent: packages already present are left as they are.
# Run as root (CI and the development machines run as root).
set -euo pipefail

APT_PACKAGES=(
  # Compiler toolchain: LLVM/MLIR 22 (libMLIR.so, TableGen, lit, FileCheck).
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools lld-22
  cmake ninja-build g++ python3 python3-pip
  # Artifact format and ONNX import, used by the runtime and importer.
  libflatbuffers-dev flatbuffers-compiler
  libonnx-dev protobuf-compiler libprotobuf-dev
  # Runtime unit tests.
  libgtest-dev
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python side: numpy for the execution tests' references.
PY=${PYTHON:-python3}
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  "$PY" -m pip install -q numpy
fi
echo "setup: done"
