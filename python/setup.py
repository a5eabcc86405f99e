"""The hydrahead wheel: the Python package with libhydra_runtime.so.N
copied in from a hydra build (../build, or $HYDRA_BUILD_DIR) or install
($HYDRA_PREFIX):

    pip wheel --no-deps --no-build-isolation -w dist ./python
    pip wheel --no-deps --no-build-isolation -w dist ./python/compiler
"""

import os
import sys

from setuptools import setup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wheel_support import (NativeDistribution, PlatformWheel, build_py_with,  # noqa: E402
                           version)

setup(
    distclass=NativeDistribution,
    version=version(),
    extras_require={
        "compiler": [f"hydrahead-compiler=={version()}"],
        "torch": ["torch", "onnx", "onnxscript"],
        "onnxruntime": ["onnx", "onnxruntime", "onnxruntime-extensions"],
    },
    cmdclass={"build_py": build_py_with("hydrahead", "libhydra_runtime"),
              "bdist_wheel": PlatformWheel},
)
