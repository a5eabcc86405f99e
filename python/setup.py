"""Copies the built shared libraries (libhydra_runtime.so,
libhydra_compiler.so) into the package when it is installed:

    cmake -S . -B build && cmake --build build
    pip install ./python          # HYDRA_BUILD_DIR overrides ../build
"""

import glob
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithLibraries(build_py):
    def run(self):
        super().run()
        build = os.environ.get("HYDRA_BUILD_DIR", os.path.join(HERE, "..", "build"))
        libs = glob.glob(os.path.join(build, "lib", "libhydra_*.so"))
        if not libs:
            raise SystemExit(f"hydrahead: no libhydra_*.so in {build}/lib; build "
                             "hydra first (cmake --build build) or set HYDRA_BUILD_DIR")
        target = os.path.join(self.build_lib, "hydrahead", "lib")
        os.makedirs(target, exist_ok=True)
        for lib in libs:
            shutil.copy2(lib, target)


setup(cmdclass={"build_py": BuildWithLibraries})
