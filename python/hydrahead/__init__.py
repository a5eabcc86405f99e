"""hydrahead: compile ONNX models of head-level hybrid attention with
hydra and run the artifacts on numpy arrays.

    import hydrahead
    artifact = hydrahead.compile("model.onnx", target="cpu")   # bytes
    module = hydrahead.Module(artifact)                      # or a path
    session = hydrahead.Session(module, device="cpu")
    outputs = session.run({"query": q, "key": k, "value": v})  # dict of arrays

Errors from the compiler or the runtime raise HydraError with hydra's
message.
"""

import ctypes
import os

import numpy as np

from . import _native

__all__ = ["compile", "Module", "Session", "HydraError"]

_DTYPES = {1: np.float32, 2: np.float16, 4: np.float64, 5: np.bool_, 6: np.int8,
           7: np.int16, 8: np.int32, 9: np.int64, 10: np.uint8, 11: np.uint16,
           12: np.uint32, 13: np.uint64}
try:  # numpy has no bf16; ml_dtypes (a dependency of onnx) adds one
    import ml_dtypes
    _DTYPES[3] = ml_dtypes.bfloat16
except ImportError:  # pragma: no cover - bf16 tensors are then refused
    pass
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
_CODE_NAMES = {1: "INVALID_ARGUMENT", 2: "INVALID_ARTIFACT", 3: "NOT_FOUND",
               4: "UNAVAILABLE", 5: "INTERNAL"}


class HydraError(RuntimeError):
    """A failure reported by hydra; `code` names the kind."""

    def __init__(self, message, code="ERROR"):
        super().__init__(message)
        self.code = code


def _check(status):
    if status:
        rt = _native.runtime()
        code = rt.hydra_status_get_code(status)
        message = rt.hydra_status_message(status).decode()
        rt.hydra_status_free(status)
        raise HydraError(message, _CODE_NAMES.get(code, str(code)))


def compile(model, target="cpu", format="auto"):
    """Compiles a model, given as a path or as bytes, for `target` ("cpu",
    or a comma-separated list) and returns the artifact's bytes. `format` is
    "onnx", "mlir" or "auto" (by content: MLIR is text, ONNX binary). A
    model given by path may keep its weights in external data files beside
    it; one given as bytes cannot."""
    lib = _native.compiler()
    out, size, error = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
    if isinstance(model, (str, os.PathLike)):
        rc = lib.hydra_compile_file(os.fsencode(model), format.encode(), target.encode(),
                                    ctypes.byref(out), ctypes.byref(size),
                                    ctypes.byref(error))
    else:
        model = bytes(model)
        rc = lib.hydra_compile(model, len(model), format.encode(), target.encode(),
                               ctypes.byref(out), ctypes.byref(size), ctypes.byref(error))
    if rc != 0:
        message = ctypes.string_at(error).decode() if error.value else "compilation failed"
        lib.hydra_compiler_free(error)
        raise HydraError(message.strip(), "COMPILE")
    data = ctypes.string_at(out, size.value)
    lib.hydra_compiler_free(out)
    return data


class Module:
    """A verified artifact, from bytes or a file path."""

    def __init__(self, artifact):
        if isinstance(artifact, (str, os.PathLike)):
            with open(artifact, "rb") as f:
                artifact = f.read()
        self._rt = _native.runtime()
        self._handle = ctypes.c_void_p()
        _check(self._rt.hydra_module_load_memory(artifact, len(artifact),
                                                 ctypes.byref(self._handle)))

    def __del__(self):
        if getattr(self, "_handle", None):
            self._rt.hydra_module_free(self._handle)
            self._handle = None

    @property
    def functions(self):
        n = self._rt.hydra_module_function_count(self._handle)
        return [self._rt.hydra_module_function_name(self._handle, i).decode()
                for i in range(n)]

    def signature(self, function=None, inputs=True):
        """[(name, numpy dtype, shape with None for dynamic sizes)]."""
        index = self._function_index(function)
        out = []
        count = self._rt.hydra_module_signature_count(self._handle, index, int(inputs))
        for i in range(count):
            name, dtype, rank = ctypes.c_char_p(), ctypes.c_int(), ctypes.c_int32()
            shape = (ctypes.c_int64 * 8)()
            _check(self._rt.hydra_module_signature(
                self._handle, index, int(inputs), i, ctypes.byref(name),
                ctypes.byref(dtype), ctypes.byref(rank), shape, 8))
            dims = tuple(None if d < 0 else d for d in shape[:rank.value])
            out.append((name.value.decode(), np.dtype(_DTYPES[dtype.value]), dims))
        return out

    def _function_index(self, function):
        names = self.functions
        if function is None:
            if len(names) != 1:
                raise HydraError(f"the module has functions {names}; name one",
                                 "INVALID_ARGUMENT")
            return 0
        if function not in names:
            raise HydraError(f"no function '{function}' (has {names})", "NOT_FOUND")
        return names.index(function)


_DEVICES = {"cpu": 0, "cuda": 1, "gpu-emulator": 2}


def _parse_device(device):
    """("cuda", 1) for "cuda:1"; the device kind's code and ordinal."""
    kind, _, ordinal = device.partition(":")
    if kind not in _DEVICES or (ordinal and (kind != "cuda" or not ordinal.isdigit())):
        raise HydraError(f"unknown device '{device}' (cpu, cuda, cuda:N, "
                         "gpu-emulator)", "INVALID_ARGUMENT")
    return _DEVICES[kind], int(ordinal or 0)


class _Outputs:
    """Owns one call's hydra_outputs; frees them when garbage collected."""

    def __init__(self, rt, handle):
        self._rt, self._handle = rt, handle

    def __del__(self):
        if self._handle:
            self._rt.hydra_outputs_free(self._handle)
            self._handle = None


class Session:
    """A module prepared to run on a device: "cpu", "cuda" or "cuda:N" (an
    NVIDIA GPU through the CUDA driver), or "gpu-emulator" (the GPU kernels
    run on the CPU, for tests).

    `run` may be called from several threads at once (the GIL is released
    while hydra runs); the calls' kernels take turns on the session's
    device. Use one Session per thread to run calls in parallel."""

    def __init__(self, module, device="cpu", threads=0):
        kind, ordinal = _parse_device(device)
        self.module = module
        self._rt = module._rt
        self._handle = ctypes.c_void_p()
        options = _native.SessionOptions(kind, threads, ordinal)
        _check(self._rt.hydra_session_create(module._handle, ctypes.byref(options),
                                             ctypes.byref(self._handle)))

    def __del__(self):
        if getattr(self, "_handle", None):
            self._rt.hydra_session_free(self._handle)
            self._handle = None

    def run(self, inputs, function=None):
        """Runs `function` on `inputs` (a dict by name, or a list in
        signature order) and returns {output name: numpy array}. The arrays
        are the runtime's output buffers themselves, not copies; each call
        returns new ones."""
        index = self.module._function_index(function)
        name = self.module.functions[index]
        signature = self.module.signature(name, inputs=True)
        if isinstance(inputs, dict):
            missing = [n for n, _, _ in signature if n not in inputs]
            extra = sorted(set(inputs) - {n for n, _, _ in signature})
            if missing or extra:
                raise HydraError(f"function '{name}': missing inputs {missing}, "
                                 f"unknown inputs {extra}", "INVALID_ARGUMENT")
            arrays = [inputs[n] for n, _, _ in signature]
        else:
            arrays = list(inputs)
        keep = []
        tensors = (_native.Tensor * max(1, len(arrays)))()
        for i, a in enumerate(arrays):
            a = np.asarray(a, order="C")  # ascontiguousarray makes 0-d arrays 1-d
            if a.dtype not in _CODES:
                raise HydraError(f"input {i}: unsupported numpy dtype {a.dtype}",
                                 "INVALID_ARGUMENT")
            shape = (ctypes.c_int64 * max(1, a.ndim))(*a.shape)
            keep += [a, shape]
            tensors[i] = _native.Tensor(
                signature[i][0].encode() if i < len(signature) else None,
                _CODES[a.dtype], a.ndim, shape, a.ctypes.data)
        out = ctypes.c_void_p()
        _check(self._rt.hydra_session_run(self._handle, name.encode(), tensors,
                                          len(arrays), ctypes.byref(out)))
        # The arrays returned are views of the runtime's output buffers (no
        # copy); the buffers are freed when the last of those arrays is.
        owner = _Outputs(self._rt, out)
        results = {}
        for i in range(self._rt.hydra_outputs_count(out)):
            t = self._rt.hydra_outputs_get(out, i).contents
            shape = tuple(t.shape[d] for d in range(t.rank))
            if t.dtype not in _DTYPES:
                raise HydraError(f"output {i} has a dtype numpy lacks "
                                 f"(code {t.dtype}; bf16 needs ml_dtypes)",
                                 "UNAVAILABLE")
            dtype = np.dtype(_DTYPES[t.dtype])
            size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if size == 0:
                results[t.name.decode()] = np.zeros(shape, dtype=dtype)
                continue
            raw = (ctypes.c_uint8 * size).from_address(t.data)
            raw._owner = owner
            array = np.frombuffer(raw, dtype=dtype).reshape(shape)
            results[t.name.decode()] = array
        return results
