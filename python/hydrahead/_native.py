"""Finds and declares hydra's two C libraries: the runtime
(hydra/runtime.h) and the compiler (hydra/CAPI/Compiler.h)."""

import ctypes
import os

_HERE = os.path.dirname(os.path.abspath(__file__))


def _find(name):
    candidates = []
    if os.environ.get("HYDRA_LIB_DIR"):
        candidates.append(os.environ["HYDRA_LIB_DIR"])
    candidates.append(os.path.join(_HERE, "lib"))
    # A source checkout: python/hydrahead -> build/lib.
    candidates.append(os.path.join(_HERE, "..", "..", "build", "lib"))
    for d in candidates:
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    raise ImportError(f"hydrahead: cannot find {name} (looked in {candidates}); "
                      "build hydra or set HYDRA_LIB_DIR")


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
        lib = ctypes.CDLL(_find("libhydra_runtime.so"))
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
        for name, (res, args) in sigs.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        _runtime = lib
    return _runtime


def compiler():
    global _compiler
    if _compiler is None:
        lib = ctypes.CDLL(_find("libhydra_compiler.so"))
        lib.hydra_compile.restype = ctypes.c_int
        lib.hydra_compile.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(ctypes.c_void_p)]
        lib.hydra_compile_file.restype = ctypes.c_int
        lib.hydra_compile_file.argtypes = [
            ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(ctypes.c_void_p)]
        lib.hydra_compiler_free.restype = None
        lib.hydra_compiler_free.argtypes = [ctypes.c_void_p]
        _compiler = lib
    return _compiler
