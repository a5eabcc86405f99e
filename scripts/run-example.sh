#!/usr/bin/env bash
# The main job, on a fresh machine: set up, build, generate a small hybrid
# ONNX model, compile it to an artifact, run it and check the output
# against the float64 reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
out=build/example
mkdir -p "$out"
.venv/bin/python examples/make_hybrid_onnx.py "$out"
echo "hydra-compile $out/model.onnx -o $out/model.hydra"
build/bin/hydra-compile "$out/model.onnx" -o "$out/model.hydra"
build/bin/hydra-inspect "$out/model.hydra"
echo "hydra-run $out/model.hydra ..."
build/bin/hydra-run "$out/model.hydra" \
  --input "query=$out/query.npy" --input "key=$out/key.npy" \
  --input "value=$out/value.npy" --input "decay=$out/decay.npy" \
  --input "beta=$out/beta.npy" --output-dir "$out/outputs"
.venv/bin/python examples/check_output.py "$out/outputs/y.npy" "$out/reference.npy"
