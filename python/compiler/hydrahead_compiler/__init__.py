"""libhydra_compiler for hydrahead.compile: hydrahead finds the library in
LIBRARY_DIR. It needs the system's LLVM/MLIR 22 and lld 22 (where hydra
was built: /usr/lib/llvm-22 on Debian), ONNX and protobuf libraries."""

import os

from ._version import __version__  # noqa: F401  (written into the wheel)

LIBRARY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")
