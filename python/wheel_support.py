"""What the two setup.py files share: hydra's version (VERSION at the
root of the tree), the library's SONAME, finding it in a hydra build or
install, and a wheel tagged for the platform but not for a Python ABI (the
libraries are loaded with ctypes, not as extension modules)."""

import os
import shutil

from setuptools import Distribution
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 carries bdist_wheel
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover
    from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def version():
    with open(os.path.join(ROOT, "VERSION")) as f:
        return f.read().strip()


def soversion():
    major, minor, _ = version().split(".")
    return f"0.{minor}" if major == "0" else major


def library(stem):
    """The path of `stem`.so.SOVERSION in $HYDRA_PREFIX/lib (an install:
    its RUNPATH is the installed one) or $HYDRA_BUILD_DIR/lib (default
    ../build)."""
    name = f"{stem}.so.{soversion()}"
    dirs = []
    if os.environ.get("HYDRA_PREFIX"):
        dirs.append(os.path.join(os.environ["HYDRA_PREFIX"], "lib"))
    dirs.append(os.path.join(os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build")),
                             "lib"))
    for d in dirs:
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    raise SystemExit(f"no {name} in {dirs}: build hydra first (cmake --build build), "
                     "or set HYDRA_PREFIX to an install or HYDRA_BUILD_DIR to a build")


def build_py_with(package, stem):
    """A build_py that copies the library into PACKAGE/lib and LICENSE
    into PACKAGE, and writes PACKAGE/_version.py with the version."""

    class BuildPy(build_py):
        def run(self):
            super().run()
            target = os.path.join(self.build_lib, package, "lib")
            os.makedirs(target, exist_ok=True)
            source = library(stem)
            shutil.copyfile(source, os.path.join(target, os.path.basename(source)))
            # The license travels with the code it covers.
            shutil.copyfile(os.path.join(ROOT, "LICENSE"),
                            os.path.join(self.build_lib, package, "LICENSE"))
            with open(os.path.join(self.build_lib, package, "_version.py"), "w") as f:
                f.write(f'"""Written when the wheel was built."""\n\n'
                        f'__version__ = "{version()}"\n')

    return BuildPy


class NativeDistribution(Distribution):
    """Holds native code: installed to platlib, the wheel not pure."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """py3-none-<platform>: native code, any Python 3."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform
