"""The hydrahead-compiler wheel: libhydra_compiler.so.N copied in from a
hydra build or install (see ../setup.py)."""

import os
import sys

from setuptools import setup

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from wheel_support import (NativeDistribution, PlatformWheel, build_py_with,  # noqa: E402
                           version)

setup(distclass=NativeDistribution,
      version=version(),
      cmdclass={"build_py": build_py_with("hydrahead_compiler", "libhydra_compiler"),
                "bdist_wheel": PlatformWheel})
