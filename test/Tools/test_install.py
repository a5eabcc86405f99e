"""What `cmake --install` gives a deployment engineer (docs/install.md):
the layout, a runtime library that exports only the C API under a
versioned SONAME, tools that run wherever the prefix is moved, a CMake
package and a pkg-config file that projects outside the tree build
against, and a runtime-only build that needs neither LLVM nor GTest.
The programs built against the install decode the suite's HydraHead
decoder and must give PyTorch's greedy tokens."""

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from tools import BUILD, ROOT

VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()
MAJOR, MINOR, _ = VERSION.split(".")
SOVERSION = f"0.{MINOR}" if MAJOR == "0" else MAJOR
SUITE = os.path.join(ROOT, "test", "Models", "real")
DECODER = os.path.join(SUITE, "hydrahead-decode-dynamo-op23-sdpa.onnx")
REFERENCE = np.load(os.path.join(SUITE, "hydrahead-generate.npz"))
PROMPT = ",".join(map(str, REFERENCE["prompt"][0]))
COUNT = str(len(REFERENCE["tokens"]))


def run(*args, env=None, cwd=None, timeout=600):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def cmake_project(source, build, prefix):
    """Configures and builds a CMake project against the install at
    `prefix`, as a project outside the tree would be."""
    run("cmake", "-S", source, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}")
    run("cmake", "--build", build)


def tokens_of(stdout):
    return [int(t) for t in stdout.splitlines()[0].split()]


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    path = tmp_path_factory.mktemp("install") / "prefix"
    run("cmake", "--install", BUILD, "--prefix", path)
    return path


@pytest.fixture(scope="module")
def decoder(prefix, tmp_path_factory):
    """The suite's decoder, compiled by the installed hydra-compile."""
    path = tmp_path_factory.mktemp("decoder") / "decoder.hydra"
    run(prefix / "bin" / "hydra-compile", DECODER, "-o", path)
    return path


def dynamic_symbols(library):
    out = run("nm", "-D", "--defined-only", library)
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def soname(library):
    match = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]",
                      run("readelf", "-d", library))
    return match.group(1) if match else None


def test_the_layout(prefix):
    lib = prefix / "lib"
    want = [
        "bin/hydra-compile", "bin/hydra-opt", "bin/hydra-run", "bin/hydra-inspect",
        "bin/hydra-generate",
        f"lib/libhydra_runtime.so.{VERSION}", f"lib/libhydra_runtime.so.{SOVERSION}",
        "lib/libhydra_runtime.so",
        f"lib/libhydra_compiler.so.{VERSION}", "lib/libhydra_compiler.so",
        "include/hydra/runtime.h", "include/hydra/runtime.hpp", "include/hydra/version.h",
        "include/hydra/CAPI/Compiler.h",
        "lib/cmake/hydra/hydraConfig.cmake", "lib/cmake/hydra/hydraConfigVersion.cmake",
        "lib/cmake/hydra/hydraTargets.cmake", "lib/pkgconfig/hydra.pc",
        "share/doc/hydra/LICENSE", "share/doc/hydra/CHANGELOG.md",
    ]
    for path in want:
        assert (prefix / path).exists(), path
    # Nothing of the compiler's internals: the static libraries stay in the build.
    assert not list(lib.glob("*.a")), list(lib.glob("*.a"))
    assert f'#define HYDRA_VERSION_STRING "{VERSION}"' in (
        prefix / "include/hydra/version.h").read_text()


def test_the_runtime_exports_only_the_c_api_under_a_versioned_soname(prefix):
    runtime = prefix / "lib" / f"libhydra_runtime.so.{VERSION}"
    assert soname(runtime) == f"libhydra_runtime.so.{SOVERSION}"
    symbols = dynamic_symbols(runtime)
    assert "hydra_version" in symbols and "hydra_session_run_buffers" in symbols
    assert all(s.startswith("hydra_") for s in symbols), [
        s for s in symbols if not s.startswith("hydra_")]
    # Every function the header declares is exported.
    declared = set(re.findall(r"HYDRA_API[^;(]*?\b(hydra_\w+)\s*\(",
                              (prefix / "include/hydra/runtime.h").read_text()))
    assert declared and declared <= set(symbols), declared - set(symbols)
    assert soname(prefix / "lib" / f"libhydra_compiler.so.{VERSION}") == \
        f"libhydra_compiler.so.{SOVERSION}"
    # Tools link the runtime by its SONAME.
    assert f"libhydra_runtime.so.{SOVERSION}" in run("readelf", "-d", prefix / "bin" / "hydra-run")


def test_installed_tools_run_where_the_prefix_is_moved(prefix, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(prefix, moved, symlinks=True)
    for name in ("hydra-compile", "hydra-run", "hydra-inspect", "hydra-generate"):
        out = run(moved / "bin" / name, "--version")
        assert out.startswith(f"{name} {VERSION} ("), out
    artifact = tmp_path / "layer.hydra"
    run(moved / "bin" / "hydra-compile", os.path.join(ROOT, "examples", "hybrid_7to1.mlir"),
        "-o", artifact)
    assert "hybrid_layer" in run(moved / "bin" / "hydra-inspect", artifact)
    ldd = run("ldd", moved / "bin" / "hydra-run")
    found = re.search(r"libhydra_runtime\S* => (\S+)", ldd)
    assert found and os.path.samefile(found.group(1),
                                      moved / "lib" / f"libhydra_runtime.so.{SOVERSION}"), ldd
    for banned in ("libLLVM", "libMLIR", "libprotobuf"):
        assert banned not in ldd


def test_find_package_builds_an_embedding_that_decodes(prefix, decoder, tmp_path):
    """examples/embed: C++17 through hydra/runtime.hpp, the caches kept in
    session buffers and appended in place."""
    cmake_project(os.path.join(ROOT, "examples", "embed"), tmp_path / "b", prefix)
    proc = subprocess.run([str(tmp_path / "b" / "hydra-embed"), str(decoder), PROMPT, COUNT],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert tokens_of(proc.stdout) == REFERENCE["tokens"].tolist()
    assert f"hydra {VERSION} (headers {VERSION})" in proc.stderr


COMPILER_PROJECT = """
cmake_minimum_required(VERSION 3.20)
project(uses_the_compiler LANGUAGES C)
find_package(hydra {version} REQUIRED COMPONENTS runtime compiler)
add_executable(compile_and_load main.c)
target_link_libraries(compile_and_load PRIVATE hydra::compiler hydra::runtime)
"""

COMPILER_MAIN = r"""
#include <hydra/CAPI/Compiler.h>
#include <hydra/runtime.h>
#include <stdio.h>

int main(int argc, char **argv) {
  char *artifact = NULL, *error = NULL;
  size_t size = 0;
  if (hydra_compile_file(argv[1], "auto", "cpu", &artifact, &size, &error)) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  hydra_module *module = NULL;
  hydra_status status = hydra_module_load_memory(artifact, size, &module);
  hydra_compiler_free(artifact);
  if (status) {
    fprintf(stderr, "%s\n", hydra_status_message(status));
    return 1;
  }
  printf("%s %zu\n", hydra_module_function_name(module, 0), size);
  hydra_module_free(module);
  return 0;
}
"""


def test_find_package_gives_the_compiler_to_those_who_embed_it(prefix, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(COMPILER_PROJECT.format(version=VERSION))
    (src / "main.c").write_text(COMPILER_MAIN)
    cmake_project(src, tmp_path / "b", prefix)
    out = run(tmp_path / "b" / "compile_and_load",
              os.path.join(ROOT, "examples", "hybrid_7to1.mlir"))
    name, size = out.split()
    assert name == "hybrid_layer" and int(size) > 0


def test_pkg_config_builds_the_c_example_that_decodes(prefix, decoder, tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    assert run("pkg-config", "--modversion", "hydra", env=env).strip() == VERSION
    flags = run("pkg-config", "--cflags", "--libs", "hydra", env=env).split()
    # hydra.pc finds the prefix from where it lies.
    assert any(f.startswith("-L") and os.path.samefile(f[2:], prefix / "lib") for f in flags)
    exe = tmp_path / "generate"
    run("cc", "-std=c11", "-Wall", "-Werror", os.path.join(ROOT, "examples", "generate.c"),
        "-o", exe, *flags, f"-Wl,-rpath,{prefix / 'lib'}")
    out = run(exe, decoder, PROMPT, COUNT)
    assert tokens_of(out) == REFERENCE["tokens"].tolist()


def test_the_runtime_builds_and_installs_alone(decoder, tmp_path):
    """`cmake -S runtime`: no LLVM, MLIR or GTest looked for; it installs
    the runtime, its tools and a package without the compiler."""
    build, rt = tmp_path / "build", tmp_path / "prefix"
    run("cmake", "-S", os.path.join(ROOT, "runtime"), "-B", build, "-G", "Ninja",
        "-DCMAKE_DISABLE_FIND_PACKAGE_LLVM=ON", "-DCMAKE_DISABLE_FIND_PACKAGE_MLIR=ON",
        "-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON")
    run("cmake", "--build", build)
    run("cmake", "--install", build, "--prefix", rt)
    cache = (build / "CMakeCache.txt").read_text()
    for package in ("LLVM_DIR", "MLIR_DIR", "GTest_DIR"):
        assert f"{package}:" not in cache
    assert sorted(os.listdir(rt / "bin")) == ["hydra-generate", "hydra-inspect", "hydra-run"]
    assert not (rt / "include/hydra/CAPI").exists()
    out = run(rt / "bin" / "hydra-generate", decoder, PROMPT, COUNT)
    assert tokens_of(out) == REFERENCE["tokens"].tolist()
    # The package has the runtime, and says so when asked for the compiler.
    src = tmp_path / "src"
    src.mkdir()
    (src / "CMakeLists.txt").write_text(COMPILER_PROJECT.format(version=VERSION))
    (src / "main.c").write_text(COMPILER_MAIN)
    proc = subprocess.run(["cmake", "-S", str(src), "-B", str(tmp_path / "b"), "-G", "Ninja",
                           f"-DCMAKE_PREFIX_PATH={rt}"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "compiler" in proc.stdout + proc.stderr
    cmake_project(os.path.join(ROOT, "examples", "embed"), tmp_path / "embed", rt)
    out = run(tmp_path / "embed" / "hydra-embed", decoder, PROMPT, COUNT)
    assert tokens_of(out) == REFERENCE["tokens"].tolist()
