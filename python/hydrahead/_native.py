"""Finds and declares hydra's two C libraries: the runtime
(hydra/runtime.h), inside this package when it is installed from its
wheel, and the compiler (hydra/CAPI/Compiler.h), from the
hydrahead-compiler wheel (`pip install hydrahead[compiler]`). In a source
checkout both come from build/lib; $HYDRA_LIB_DIR overrides either."""

import ctypes
import os

from ._version import __version__

_HERE = os.path.dirname(os.path.abspath(__file__))
_MAJOR, _MINOR, _ = __version__.split(".")
# The libraries' SONAME suffix (cmake/HydraVersion.cmake).
SOVERSION = f"0.{_MINOR}" if _MAJOR == "0" else _MAJOR


def _compiler_package_dir():
    try:
        import hydrahead_compiler
    except ImportError:
        return None
    return hydrahead_compiler.LIBRARY_DIR


def _find(stem, extra_dirs=()):
    """The library `stem` (libhydra_runtime): its SONAME file in the first
    directory that has it, else the unversioned name (a build tree)."""
    candidates = []
    if os.environ.get("HYDRA_LIB_DIR"):
        candidates.append(os.environ["HYDRA_LIB_DIR"])
    candidates += [d for d in extra_dirs if d]
    # A source checkout: python/hydrahead -> build/lib.
    candidates.append(os.path.join(_HERE, "..", "..", "build", "lib"))
    for d in candidates:
        for name in (f"{stem}.so.{SOVERSION}", f"{stem}.so"):
            path = os.path.join(d, name)
            if os.path.exists(path):
                return path
    return None


def _load(stem, extra_dirs, hint):
    path = _find(stem, extra_dirs)
    if path is None:
        raise ImportError(f"hydrahead: cannot find {stem}.so.{SOVERSION}; {hint}")
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"hydrahead: cannot load {path}: {e}") from e


class Tensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("data", ctypes.c_void_p)]


class SessionOptions(ctypes.Structure):
    _fields_ = [("device", ctypes.c_int), ("num_threads", ctypes.c_int32),
                ("device_ordinal", ctypes.c_int32)]


_runtime = None
_compiler = None


def runtime():
    global _runtime
    if _runtime is None:
        lib = _load("libhydra_runtime", [os.path.join(_HERE, "lib")],
                    "reinstall hydrahead, build hydra (cmake --build build) or set "
                    "HYDRA_LIB_DIR")
        P = ctypes.c_void_p
        sigs = {
            "hydra_status_get_code": (ctypes.c_int, [P]),
            "hydra_status_message": (ctypes.c_char_p, [P]),
            "hydra_status_free": (None, [P]),
            "hydra_module_load_memory": (P, [ctypes.c_char_p, ctypes.c_size_t,
                                             ctypes.POINTER(P)]),
            "hydra_module_free": (None, [P]),
            "hydra_module_function_count": (ctypes.c_size_t, [P]),
            "hydra_module_function_name": (ctypes.c_char_p, [P, ctypes.c_size_t]),
            "hydra_module_signature_count": (ctypes.c_size_t,
                                             [P, ctypes.c_size_t, ctypes.c_int]),
            "hydra_module_signature": (P, [P, ctypes.c_size_t, ctypes.c_int,
                                           ctypes.c_size_t,
                                           ctypes.POINTER(ctypes.c_char_p),
                                           ctypes.POINTER(ctypes.c_int),
                                           ctypes.POINTER(ctypes.c_int32),
                                           ctypes.POINTER(ctypes.c_int64),
                                           ctypes.c_int32]),
            "hydra_module_cache_count": (ctypes.c_size_t, [P, ctypes.c_size_t]),
            "hydra_module_cache": (P, [P, ctypes.c_size_t, ctypes.c_size_t,
                                       ctypes.POINTER(ctypes.c_size_t),
                                       ctypes.POINTER(ctypes.c_size_t),
                                       ctypes.POINTER(ctypes.c_int),
                                       ctypes.POINTER(ctypes.c_int32),
                                       ctypes.POINTER(ctypes.c_int)]),
            "hydra_session_create": (P, [P, ctypes.POINTER(SessionOptions),
                                         ctypes.POINTER(P)]),
            "hydra_session_free": (None, [P]),
            # The tensors: an array of Tensor records, by address.
            "hydra_session_run": (P, [P, ctypes.c_char_p, P,
                                      ctypes.c_size_t, ctypes.POINTER(P)]),
            "hydra_buffer_create": (P, [P, ctypes.c_int, ctypes.c_int32,
                                        ctypes.POINTER(ctypes.c_int64),
                                        ctypes.POINTER(ctypes.c_int64),
                                        ctypes.POINTER(P)]),
            "hydra_buffer_upload": (P, [P, P, ctypes.c_size_t]),
            "hydra_buffer_download": (P, [P, P, ctypes.c_size_t]),
            "hydra_buffer_tensor": (ctypes.POINTER(Tensor), [P]),
            "hydra_buffer_strides": (None, [P, ctypes.POINTER(ctypes.c_int64)]),
            "hydra_buffer_set_shape": (P, [P, ctypes.c_int32,
                                           ctypes.POINTER(ctypes.c_int64)]),
            "hydra_buffer_free": (None, [P]),
            "hydra_session_run_buffers": (P, [P, ctypes.c_char_p, ctypes.POINTER(P),
                                              ctypes.c_size_t, ctypes.POINTER(P),
                                              ctypes.c_size_t]),
            "hydra_outputs_count": (ctypes.c_size_t, [P]),
            "hydra_outputs_get": (ctypes.POINTER(Tensor), [P, ctypes.c_size_t]),
            "hydra_outputs_free": (None, [P]),
        }
        sigs["hydra_version"] = (ctypes.c_char_p, [])
        for name, (res, args) in sigs.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        _check_version("runtime", lib.hydra_version().decode())
        _runtime = lib
    return _runtime


def _check_version(what, found):
    """The library must be this package's version: their ctypes
    declarations are this version's C API."""
    if found.split()[0] != __version__:
        raise ImportError(f"hydrahead {__version__} found the {what} library of hydra "
                          f"{found}; install matching versions")


class CompileOptions(ctypes.Structure):
    """hydra_compile_options (hydra/CAPI/Compiler.h)."""
    _fields_ = [("struct_size", ctypes.c_size_t), ("format", ctypes.c_char_p),
                ("targets", ctypes.c_char_p), ("cpu", ctypes.c_char_p),
                ("query_tile", ctypes.c_int64), ("key_tile", ctypes.c_int64),
                ("chunk_size", ctypes.c_int64), ("weights", ctypes.c_char_p)]


def compiler():
    global _compiler
    if _compiler is None:
        lib = _load("libhydra_compiler", [_compiler_package_dir()],
                    "compiling needs the compiler: pip install hydrahead[compiler] "
                    "(or build hydra, or set HYDRA_LIB_DIR)")
        out = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t),
               ctypes.POINTER(ctypes.c_void_p)]
        options = ctypes.POINTER(CompileOptions)
        lib.hydra_compile_with_options.restype = ctypes.c_int
        lib.hydra_compile_with_options.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                                   options, *out]
        lib.hydra_compile_file_with_options.restype = ctypes.c_int
        lib.hydra_compile_file_with_options.argtypes = [ctypes.c_char_p, options, *out]
        lib.hydra_compiler_free.restype = None
        lib.hydra_compiler_free.argtypes = [ctypes.c_void_p]
        lib.hydra_compiler_version.restype = ctypes.c_char_p
        lib.hydra_compiler_version.argtypes = []
        # "hydra-compiler 0.2.0 (...)"
        _check_version("compiler", lib.hydra_compiler_version().decode().split(" ", 1)[1])
        _compiler = lib
    return _compiler
