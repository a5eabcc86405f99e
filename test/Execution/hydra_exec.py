"""Compiles a hydra .mlir function to a shared object with hydra-opt, then
LLVM's mlir-translate, llc and the system linker, and calls it on numpy
arrays through its C interface (`_mlir_ciface_<name>`, memref descriptors).

After `hydra-to-llvm` the function takes its result as a trailing out
parameter, so every array, input or output, is owned by numpy."""

import ctypes
import os
import subprocess
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build"))
LLVM_BIN = os.environ.get("HYDRA_LLVM_BIN", "/usr/lib/llvm-22/bin")
HYDRA_OPT = os.path.join(BUILD, "bin", "hydra-opt")

import ml_dtypes  # noqa: E402  (numpy's bfloat16)

_DTYPES = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
           np.dtype(ml_dtypes.bfloat16): "bf16",
           np.dtype(np.bool_): "i1"}


def mlir_type(shape, dtype):
    dims = "x".join(str(d) for d in shape)
    return f"tensor<{dims}x{_DTYPES[np.dtype(dtype)]}>"


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stderr[-4000:]}")
    return proc.stdout


def compile_mlir(source, workdir, pipeline="hydra-to-llvm"):
    """Lowers `source` with hydra-opt and links it into a shared object."""
    src = os.path.join(workdir, "kernel.mlir")
    with open(src, "w") as f:
        f.write(source)
    llvm_mlir = os.path.join(workdir, "kernel.llvm.mlir")
    _run([HYDRA_OPT, src, f"--{pipeline}", "-o", llvm_mlir])
    ll = os.path.join(workdir, "kernel.ll")
    _run([os.path.join(LLVM_BIN, "mlir-translate"), "--mlir-to-llvmir",
          llvm_mlir, "-o", ll])
    obj = os.path.join(workdir, "kernel.o")
    _run([os.path.join(LLVM_BIN, "llc"), "-O3", "-mcpu=native",
          "--relocation-model=pic", "-filetype=obj", ll, "-o", obj])
    so = os.path.join(workdir, "kernel.so")
    _run(["cc", "-shared", obj, "-o", so, "-lm"])
    return so


class _MemRef:
    """A memref descriptor pointing at a C-contiguous numpy array."""

    def __init__(self, array):
        rank = array.ndim

        class Desc(ctypes.Structure):
            _fields_ = [("allocated", ctypes.c_void_p),
                        ("aligned", ctypes.c_void_p),
                        ("offset", ctypes.c_int64),
                        ("sizes", ctypes.c_int64 * rank),
                        ("strides", ctypes.c_int64 * rank)]

        self.array = array
        ptr = array.ctypes.data_as(ctypes.c_void_p)
        elem = array.itemsize
        self.desc = Desc(ptr, ptr, 0, (ctypes.c_int64 * rank)(*array.shape),
                         (ctypes.c_int64 * rank)(*(s // elem for s in array.strides)))


def call(so_path, name, inputs, output_shape, output_dtype=np.float32):
    """Calls `name` in `so_path` with `inputs` and returns the output; a
    list of shapes gives a list of outputs."""
    lib = ctypes.CDLL(so_path)
    fn = getattr(lib, f"_mlir_ciface_{name}")
    several = isinstance(output_shape, list)
    shapes = output_shape if several else [output_shape]
    outs = [np.zeros(s, dtype=output_dtype) for s in shapes]
    refs = [_MemRef(np.ascontiguousarray(a)) for a in inputs] + [_MemRef(o) for o in outs]
    fn.restype = None
    fn(*[ctypes.byref(r.desc) for r in refs])
    return outs if several else outs[0]


def run_function(source, name, inputs, output_shape, output_dtype=np.float32,
                 pipeline="hydra-to-llvm"):
    with tempfile.TemporaryDirectory(prefix="hydra-exec-") as tmp:
        so = compile_mlir(source, tmp, pipeline)
        return call(so, name, inputs, output_shape, output_dtype)
