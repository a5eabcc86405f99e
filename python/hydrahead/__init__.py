"""hydrahead: compile ONNX models of head-level hybrid attention with
hydra and run the artifacts on numpy arrays.

    import hydrahead
    artifact = hydrahead.compile("model.onnx", target="cpu")   # bytes
    module = hydrahead.Module(artifact)                      # or a path
    session = hydrahead.Session(module, device="cpu")
    outputs = session.run({"query": q, "key": k, "value": v})  # dict of arrays

Errors from the compiler or the runtime raise HydraError with hydra's
message. The runtime is in this package; compiling needs the compiler
(`pip install hydrahead[compiler]`).
"""

from __future__ import annotations

import collections
import ctypes
import math
import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._version import __version__

__all__ = ["compile", "Module", "Session", "Generator", "HydraError", "__version__"]

PathOrBytes = Union[str, "os.PathLike[str]", bytes]

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


def compile(model: PathOrBytes, target: str = "cpu", format: str = "auto", *,
            cpu: Optional[str] = None, query_tile: int = 0, key_tile: int = 0,
            chunk_size: int = 0, weights: Optional[str] = None) -> bytes:
    """Compiles a model, given as a path or as bytes, for `target` ("cpu",
    CUDA archs "sm_80", "sm_90", ..., "gpu-emulator", or a comma-separated
    list) and returns the artifact's bytes. `format` is "onnx", "mlir" or
    "auto" (by content: MLIR is text, ONNX binary). A model given by path
    may keep its weights in external data files beside it; one given as
    bytes cannot. The rest are hydra-compile's options: `cpu`, the x86-64
    CPU to tune for ("native", the default: this machine's); FA's
    `query_tile` and `key_tile`, LA's `chunk_size` (0: hydra's defaults);
    `weights`, the CPU code's constant weights ("f32" or "bf16")."""
    lib = _native.compiler()
    options = _native.CompileOptions(
        ctypes.sizeof(_native.CompileOptions), format.encode(), target.encode(),
        cpu.encode() if cpu else None, query_tile, key_tile, chunk_size,
        weights.encode() if weights else None)
    out, size, error = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
    if isinstance(model, (str, os.PathLike)):
        rc = lib.hydra_compile_file_with_options(os.fsencode(model), ctypes.byref(options),
                                                 ctypes.byref(out), ctypes.byref(size),
                                                 ctypes.byref(error))
    else:
        model = bytes(model)
        rc = lib.hydra_compile_with_options(model, len(model), ctypes.byref(options),
                                            ctypes.byref(out), ctypes.byref(size),
                                            ctypes.byref(error))
    if rc != 0:
        message = ctypes.string_at(error).decode() if error.value else "compilation failed"
        lib.hydra_compiler_free(error)
        raise HydraError(message.strip(), "COMPILE")
    data = ctypes.string_at(out, size.value)
    lib.hydra_compiler_free(out)
    return data


Cache = collections.namedtuple("Cache", "input output kind axis in_place")


class Module:
    """A verified artifact, from bytes or a file path."""

    def __init__(self, artifact: PathOrBytes) -> None:
        if isinstance(artifact, (str, os.PathLike)):
            with open(artifact, "rb") as f:
                artifact = f.read()
        self._rt = _native.runtime()
        self._handle = ctypes.c_void_p()
        _check(self._rt.hydra_module_load_memory(artifact, len(artifact),
                                                 ctypes.byref(self._handle)))
        # A loaded module never changes: its names and signatures are read
        # once (a small model's call is a few dozen µs; asking the runtime
        # for them on every call took as long again).
        self._functions = None
        self._signatures = {}

    def __del__(self):
        if getattr(self, "_handle", None):
            self._rt.hydra_module_free(self._handle)
            self._handle = None

    @property
    def functions(self) -> List[str]:
        if self._functions is None:
            n = self._rt.hydra_module_function_count(self._handle)
            self._functions = tuple(
                self._rt.hydra_module_function_name(self._handle, i).decode()
                for i in range(n))
        return list(self._functions)

    def signature(self, function: Optional[str] = None,
                  inputs: bool = True) -> List[Tuple[str, np.dtype, Tuple[Optional[int], ...]]]:
        """[(name, numpy dtype, shape with None for dynamic sizes)]."""
        index = self._function_index(function)
        key = (index, bool(inputs))
        if key not in self._signatures:
            self._signatures[key] = self._read_signature(index, inputs)
        return list(self._signatures[key])

    def _read_signature(self, index, inputs):
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

    def caches(self, function: Optional[str] = None) -> List[Cache]:
        """The function's cache pairs: which outputs to feed back as which
        inputs on the next call (a decode step's KV caches and linear
        states), as [Cache(input, output, kind, axis, in_place)] with
        names; kind is "append" (the output is the input followed by this
        call's part along `axis`) or "state" (the output replaces the
        input); `in_place`: the output may be written into the input's
        buffer (Session.run_buffers)."""
        index = self._function_index(function)
        inputs = self.signature(self.functions[index], inputs=True)
        outputs = self.signature(self.functions[index], inputs=False)
        out = []
        for i in range(self._rt.hydra_module_cache_count(self._handle, index)):
            cin, cout = ctypes.c_size_t(), ctypes.c_size_t()
            kind, axis, in_place = ctypes.c_int(), ctypes.c_int32(), ctypes.c_int()
            _check(self._rt.hydra_module_cache(
                self._handle, index, i, ctypes.byref(cin), ctypes.byref(cout),
                ctypes.byref(kind), ctypes.byref(axis), ctypes.byref(in_place)))
            out.append(Cache(inputs[cin.value][0], outputs[cout.value][0],
                             "append" if kind.value == 0 else "state", axis.value,
                             bool(in_place.value)))
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


# hydra_tensor as a numpy record: field offsets from the ctypes declaration.
_TENSOR_RECORD = np.dtype({
    "names": ["name", "dtype", "rank", "shape", "data"],
    "formats": [np.uintp, np.intc, np.int32, np.uintp, np.uintp],
    "offsets": [getattr(_native.Tensor, f).offset
                for f in ("name", "dtype", "rank", "shape", "data")],
    "itemsize": ctypes.sizeof(_native.Tensor)})


class _CallPlan:
    """A function's names and output dtypes, resolved once per session."""

    def __init__(self, module, function):
        index = module._function_index(function)
        self.name = module.functions[index]
        self.name_bytes = self.name.encode()
        self.inputs = module.signature(self.name, inputs=True)
        self.input_names = [n for n, _, _ in self.inputs]
        # The C strings the tensor records point at, kept alive here.
        self._names = [ctypes.create_string_buffer(n.encode()) for n in self.input_names]
        self.name_addresses = [ctypes.addressof(b) for b in self._names]
        self.outputs = []
        for i, (n, dtype, _) in enumerate(module.signature(self.name, inputs=False)):
            self.outputs.append((n, dtype))


class Session:
    """A module prepared to run on a device: "cpu", "cuda" or "cuda:N" (an
    NVIDIA GPU through the CUDA driver), or "gpu-emulator" (the GPU kernels
    run on the CPU, for tests).

    `run` may be called from several threads at once (the GIL is released
    while hydra runs); the calls' kernels take turns on the session's
    device. Use one Session per thread to run calls in parallel."""

    def __init__(self, module: Module, device: str = "cpu", threads: int = 0) -> None:
        kind, ordinal = _parse_device(device)
        self.module = module
        self._rt = module._rt
        self._handle = ctypes.c_void_p()
        self._plans = {}
        options = _native.SessionOptions(kind, threads, ordinal)
        _check(self._rt.hydra_session_create(module._handle, ctypes.byref(options),
                                             ctypes.byref(self._handle)))

    def __del__(self):
        if getattr(self, "_handle", None):
            self._rt.hydra_session_free(self._handle)
            self._handle = None

    def run(self, inputs: Union[Dict[str, np.ndarray], Sequence[np.ndarray]],
            function: Optional[str] = None) -> Dict[str, np.ndarray]:
        """Runs `function` on `inputs` (a dict by name, or a list in
        signature order) and returns {output name: numpy array}. The arrays
        are the runtime's output buffers themselves, not copies; each call
        returns new ones."""
        plan = self._plan(function)
        signature = plan.inputs
        if isinstance(inputs, dict):
            if len(inputs) != len(signature) or any(n not in inputs for n in plan.input_names):
                missing = [n for n in plan.input_names if n not in inputs]
                extra = sorted(set(inputs) - set(plan.input_names))
                raise HydraError(f"function '{plan.name}': missing inputs {missing}, "
                                 f"unknown inputs {extra}", "INVALID_ARGUMENT")
            arrays = [inputs[n] for n in plan.input_names]
        else:
            arrays = list(inputs)
        # The hydra_tensor array as one numpy record array (its layout is
        # the C struct's) and every shape in one int64 array: a few
        # ctypes objects a call instead of several an input.
        count = len(arrays)
        arrays = [np.asarray(a, order="C") for a in arrays]  # ascontiguousarray makes 0-d 1-d
        shapes = np.array([d for a in arrays for d in a.shape] or [0], dtype=np.int64)
        shape_base = shapes.ctypes.data
        records = []
        offset = 0
        for i, a in enumerate(arrays):
            code = _CODES.get(a.dtype)
            if code is None:
                raise HydraError(f"input {i}: unsupported numpy dtype {a.dtype}",
                                 "INVALID_ARGUMENT")
            records.append((plan.name_addresses[i] if i < len(signature) else 0,
                            code, a.ndim, shape_base + 8 * offset, a.ctypes.data))
            offset += a.ndim
        tensors = np.array(records or [(0, 0, 0, 0, 0)], dtype=_TENSOR_RECORD)
        out = ctypes.c_void_p()
        _check(self._rt.hydra_session_run(self._handle, plan.name_bytes,
                                          tensors.ctypes.data, count,
                                          ctypes.byref(out)))
        del arrays, shapes, tensors  # kept alive across the call above
        # The arrays returned are views of the runtime's output buffers (no
        # copy); the buffers are freed when the last of those arrays is.
        owner = _Outputs(self._rt, out)
        results = {}
        get = self._rt.hydra_outputs_get
        for i, (name, dtype) in enumerate(plan.outputs):
            t = get(out, i).contents
            shape = tuple(t.shape[:t.rank])
            size = math.prod(shape) * dtype.itemsize
            if size == 0:
                results[name] = np.zeros(shape, dtype=dtype)
                continue
            raw = (ctypes.c_uint8 * size).from_address(t.data)
            raw._owner = owner
            results[name] = np.frombuffer(raw, dtype=dtype).reshape(shape)
        return results

    def buffer(self, array: Optional[np.ndarray] = None, *,
               shape: Optional[Sequence[int]] = None, dtype=None,
               capacity: Optional[Sequence[int]] = None) -> "buffers.Buffer":
        """A tensor this session keeps between calls (buffers.py): holding
        `array`, or of `shape` and `dtype`; with `capacity`, room to grow
        (a KV cache appended to in place)."""
        from . import buffers
        return buffers.create(self, array, shape=shape, dtype=dtype, capacity=capacity)

    def run_buffers(self, inputs: Dict[str, object], outputs: Optional[Dict[str, object]] = None,
                    function: Optional[str] = None) -> Dict[str, "buffers.Buffer"]:
        """Runs on buffers (buffers.run): inputs {name: Buffer or array},
        outputs {name: Buffer} to write into; returns {name: Buffer}."""
        from . import buffers
        return buffers.run(self, inputs, outputs, function)

    def _plan(self, function):
        """What every call of `function` shares: names, encoded once."""
        plan = self._plans.get(function)
        if plan is None:
            plan = _CallPlan(self.module, function)
            self._plans[function] = plan
        return plan


from . import buffers  # noqa: E402,F401  (they use the classes above)
from .generate import Generator  # noqa: E402
