#!/usr/bin/env bash
# Installs everything hydra needs to build and test on a fresh Debian 12
# machine, as root. Idempotent: what is already there is left as it is.
#   - Debian packages: LLVM/MLIR 22, the build tools, FlatBuffers and the
#     ONNX protobuf (for the importer and artifact work that follows),
#     clang-22 with its sanitizer and libFuzzer runtimes;
#   - a Python virtual environment in .venv with numpy, onnx and pytest for
#     the execution tests, and cuobjdump/nvdisasm for the SASS tests;
#   - and it checks that the CUDA toolkit (ptxas, libdevice) is there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools lld-22
  cmake ninja-build g++ python3 python3-venv python3-pip
  libflatbuffers-dev flatbuffers-compiler
  libonnx-dev protobuf-compiler libprotobuf-dev
  libgtest-dev pkgconf
  clang-22 libclang-rt-22-dev   # sanitizer and fuzz builds (scripts/sanitize.sh)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# cuobjdump and nvdisasm (for the SASS tests) come from PyPI.
PY_PACKAGES=(numpy onnx==1.23.2 onnxruntime onnxruntime-extensions pytest pytest-xdist setuptools
             wheel ml_dtypes nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm)
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import numpy, onnx, onnxruntime, onnxruntime_extensions, pytest, xdist, setuptools, wheel, ml_dtypes" 2>/dev/null \
    || ! ls .venv/lib/python3*/site-packages/nvidia/cu*/bin/cuobjdump >/dev/null 2>&1 \
    || ! ls .venv/lib/python3*/site-packages/nvidia/cu*/bin/nvdisasm >/dev/null 2>&1; then
  echo "setup: installing ${PY_PACKAGES[*]} into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
fi

# The wheel tests (test/Python/test_wheels.py) install hydrahead into clean
# virtual environments offline, its dependencies from this wheelhouse.
WHEELHOUSE=.cache/wheelhouse
if ! ls $WHEELHOUSE/numpy-*.whl >/dev/null 2>&1 || ! ls $WHEELHOUSE/ml_dtypes-*.whl >/dev/null 2>&1; then
  echo "setup: downloading numpy and ml_dtypes into $WHEELHOUSE"
  .venv/bin/python -m pip download -q --disable-pip-version-check -d $WHEELHOUSE numpy ml_dtypes
fi

# The device kit (scripts/device-kit.sh) carries the wheels a GPU machine
# without network needs for the run and the bench: ml_dtypes (bf16) for
# its Python 3.12, and fla's chunk kernels (fla-core, einops).
DEVICE_WHEELS=.cache/device-wheels
if ! ls $DEVICE_WHEELS/fla_core-*.whl $DEVICE_WHEELS/einops-*.whl \
        $DEVICE_WHEELS/ml_dtypes-*cp312*.whl >/dev/null 2>&1; then
  echo "setup: downloading the device kit's wheels into $DEVICE_WHEELS"
  .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps \
    --only-binary=:all: --python-version 3.12 --platform manylinux_2_17_x86_64 \
    -d $DEVICE_WHEELS fla-core==0.6.0 einops==0.8.2 ml_dtypes==0.5.1
fi

# The serving test (test/Python/test_serving.py) runs examples/serve_triton.py
# in its own environment: PyTriton pins versions (numpy) of its own.
if ! .venv-serve/bin/python -c "import pytriton, tritonclient.http" 2>/dev/null; then
  echo "setup: installing nvidia-pytriton and tritonclient into .venv-serve"
  python3 -m venv .venv-serve
  .venv-serve/bin/python -m pip install -q --disable-pip-version-check nvidia-pytriton "tritonclient[http]"
fi

# GPU code generation runs the CUDA toolkit's ptxas and links its libdevice
# (HYDRA_CUDA_PATH, default /usr/local/cuda); this machine image has it.
CUDA_PATH_USED="${HYDRA_CUDA_PATH:-/usr/local/cuda}"
if [ ! -x "$CUDA_PATH_USED/bin/ptxas" ] || [ ! -d "$CUDA_PATH_USED/nvvm/libdevice" ]; then
  echo "setup: no CUDA toolkit at $CUDA_PATH_USED (ptxas, nvvm/libdevice):" \
       "GPU targets cannot be compiled; set HYDRA_CUDA_PATH" >&2
  exit 1
fi
echo "setup: done"
