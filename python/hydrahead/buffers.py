"""Tensors a session keeps between calls, and calls on them (the C API's
hydra_buffer and hydra_session_run_buffers): a decode loop's caches stay
in the session's buffers, and a KV cache created with room along its
sequence axis is appended to in place, its past never copied.

    cache = session.buffer(np.zeros((1, 2, 0, 64), np.float32),
                           capacity=(1, 2, 4096, 64))
    out = session.run_buffers({"ids": ids, "past_key": cache, ...},
                              outputs={"present_key": cache})
    logits = out["logits"].numpy()
"""

from __future__ import annotations

import ctypes
from typing import Tuple

import numpy as np

from . import HydraError, _CODES, _DTYPES, _check


class Buffer:
    """A tensor owned by a session (host memory on the CPU). `shape` is its
    current shape (a call sets an output's); `capacity` its room."""

    def __init__(self, session, handle):
        self._session, self._rt, self._handle = session, session._rt, handle

    def __del__(self):
        if getattr(self, "_handle", None):
            self._rt.hydra_buffer_free(self._handle)
            self._handle = None

    def _tensor(self):
        return self._rt.hydra_buffer_tensor(self._handle).contents

    @property
    def shape(self) -> Tuple[int, ...]:
        t = self._tensor()
        return tuple(t.shape[:t.rank])

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(_DTYPES[self._tensor().dtype])

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def numpy(self) -> np.ndarray:
        """A copy of the buffer's elements, dense."""
        out = np.empty(self.shape, self.dtype)
        _check(self._rt.hydra_buffer_download(self._handle, out.ctypes.data, out.nbytes))
        return out

    def set_shape(self, shape) -> None:
        """Sets the shape within the capacity, elements left in place (a
        cache rolled back to its first tokens)."""
        dims = (ctypes.c_int64 * max(len(shape), 1))(*[int(d) for d in shape])
        _check(self._rt.hydra_buffer_set_shape(self._handle, len(shape), dims))

    def upload(self, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array, self.dtype)
        if array.shape != self.shape:
            raise HydraError(f"the buffer is {self.shape}, the array {array.shape}",
                             "INVALID_ARGUMENT")
        _check(self._rt.hydra_buffer_upload(self._handle, array.ctypes.data, array.nbytes))


def create(session, array=None, *, shape=None, dtype=None, capacity=None):
    """A buffer holding `array` (or of `shape` and `dtype`, its bytes
    undefined), with room for `capacity` (a shape at least as large)."""
    if array is not None:
        array = np.asarray(array)
        shape, dtype = array.shape, array.dtype
    dtype = np.dtype(dtype if dtype is not None else np.float32)
    code = _CODES.get(dtype)
    if code is None:
        raise HydraError(f"unsupported numpy dtype {dtype}", "INVALID_ARGUMENT")
    shape = tuple(int(d) for d in shape)
    dims = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    room = None
    if capacity is not None:
        if len(capacity) != len(shape):
            raise HydraError(f"capacity {tuple(capacity)} is not of rank {len(shape)}",
                             "INVALID_ARGUMENT")
        room = (ctypes.c_int64 * max(len(shape), 1))(*[int(c) for c in capacity])
    handle = ctypes.c_void_p()
    _check(session._rt.hydra_buffer_create(session._handle, code, len(shape), dims, room,
                                           ctypes.byref(handle)))
    buffer = Buffer(session, handle)
    if array is not None:
        buffer.upload(array)
    return buffer


def run(session, inputs, outputs=None, function=None):
    """Runs `function` on `inputs` ({name: Buffer or array}; arrays are
    copied into new buffers) writing outputs into `outputs` ({name: Buffer},
    the others new). Returns {output name: Buffer}. An output may be its
    in-place cache pair's input buffer (Module.caches): the call appends to
    it."""
    plan = session._plan(function)
    outputs = dict(outputs or {})
    missing = [n for n in plan.input_names if n not in inputs]
    unknown = sorted(set(inputs) - set(plan.input_names)) + sorted(
        set(outputs) - {n for n, _ in plan.outputs})
    if missing or unknown:
        raise HydraError(f"function '{plan.name}': missing inputs {missing}, unknown "
                         f"names {unknown}", "INVALID_ARGUMENT")
    held = []  # buffers made here for arrays, alive across the call
    handles = (ctypes.c_void_p * max(len(plan.input_names), 1))()
    for i, name in enumerate(plan.input_names):
        value = inputs[name]
        if not isinstance(value, Buffer):
            value = create(session, value)
            held.append(value)
        handles[i] = value._handle.value
    out_handles = (ctypes.c_void_p * max(len(plan.outputs), 1))()
    for o, (name, _) in enumerate(plan.outputs):
        out_handles[o] = outputs[name]._handle.value if name in outputs else None
    _check(session._rt.hydra_session_run_buffers(
        session._handle, plan.name_bytes, handles, len(plan.input_names), out_handles,
        len(plan.outputs)))
    result = {}
    for o, (name, _) in enumerate(plan.outputs):
        result[name] = outputs[name] if name in outputs else Buffer(
            session, ctypes.c_void_p(out_handles[o]))
    return result
