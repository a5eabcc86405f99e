"""Greedy decoding with a compiled decoder that carries caches.

A decoder exported with its caches (a HydraHead model through
hydrahead.torch, or a transformers decoder with its past key values) takes
token ids and the caches and returns logits and the caches after the call.
The artifact says which output continues which input (`Module.caches`), so
`Generator` needs no names: it starts from empty caches (P = 0 keys, zero
states), runs the prompt in one call, then one token a call, feeding every
call's presents back. The caches stay in the session's buffers; a KV cache
the artifact marks in_place is created with room for the whole generation
and each call appends its tokens to it, copying nothing (`in_place=False`:
each call returns a new present, past copied, as the model's ONNX
semantics state it).

    session = hydrahead.Session(hydrahead.Module("decoder.hydra"))
    gen = hydrahead.Generator(session)
    tokens = gen.generate(prompt_ids, max_new_tokens=32)   # [B, 32]
    print(gen.tokens_per_second(), gen.cache_bytes())
"""

from __future__ import annotations

import time
from typing import Dict

import numpy as np

from . import HydraError


class Generator:
    """Greedy decoding through `session`'s `function` (the only one by
    default): its one input that no cache pair names is the token ids
    ([B, S] integers), its first output that none names the logits
    ([B, S, V])."""

    def __init__(self, session, function=None, in_place: bool = True) -> None:
        module = session.module
        self.session, self.function = session, function
        self.in_place = in_place
        self.pairs = module.caches(function)
        if not self.pairs:
            raise HydraError("the function returns no caches for its next call "
                             "(no cache pairs in the artifact): it cannot decode "
                             "token by token", "INVALID_ARGUMENT")
        inputs = module.signature(function, inputs=True)
        outputs = module.signature(function, inputs=False)
        cache_inputs = {c.input for c in self.pairs}
        cache_outputs = {c.output for c in self.pairs}
        others = [(n, dtype) for n, dtype, _ in inputs if n not in cache_inputs]
        if len(others) != 1 or others[0][1].kind not in "iu":
            raise HydraError("a decoder takes one integer input besides its caches "
                             f"(the token ids); this one takes {others}",
                             "INVALID_ARGUMENT")
        self.ids_name = others[0][0]
        self.logits_name = next(n for n, _, _ in outputs if n not in cache_outputs)
        self.ids_dtype = others[0][1]
        self._signatures = {n: (dtype, shape) for n, dtype, shape in inputs}
        self.caches = {}
        self.prefill_seconds = self.decode_seconds = 0.0
        self.decoded = 0

    def _appends_in_place(self, pair):
        return self.in_place and pair.kind == "append" and pair.in_place

    def start(self, batch: int = 1, capacity: int = 0) -> None:
        """Empty caches for `batch` sequences: append caches of length 0
        (with room for `capacity` tokens where they grow in place), zero
        states. The batch is dimension 0; every other dynamic size of a
        cache must be its append axis."""
        self.caches = {}
        for c in self.pairs:
            dtype, shape = self._signatures[c.input]
            dims = []
            for d, size in enumerate(shape):
                if size is not None:
                    dims.append(size)
                elif d == 0:
                    dims.append(batch)
                elif c.kind == "append" and d == c.axis:
                    dims.append(0)
                else:
                    raise HydraError(f"cache input '{c.input}' has a dynamic size "
                                     f"in dimension {d}, which is neither the batch "
                                     "nor its append axis", "INVALID_ARGUMENT")
            room = None
            if self._appends_in_place(c):
                room = list(dims)
                room[c.axis] = max(capacity, 1)
            self.caches[c.input] = self.session.buffer(np.zeros(dims, dtype), capacity=room)

    def step(self, ids) -> np.ndarray:
        """Runs one call on token ids [B, S] after the caches so far and
        keeps the presents as the next call's caches; returns the logits."""
        ids = np.asarray(ids, self.ids_dtype)
        grown = {c.output: self.caches[c.input] for c in self.pairs
                 if self._appends_in_place(c)}
        out = self.session.run_buffers({self.ids_name: ids, **self.caches}, grown,
                                       self.function)
        for c in self.pairs:
            self.caches[c.input] = out[c.output]
        return out[self.logits_name].numpy()

    def generate(self, prompt, max_new_tokens: int) -> np.ndarray:
        """Greedy: the prompt ([B, S] ids) in one call from empty caches,
        then each next token (the argmax of the last logits) one call at a
        time. Returns the new tokens, [B, max_new_tokens]."""
        prompt = np.atleast_2d(np.asarray(prompt, self.ids_dtype))
        self.start(prompt.shape[0], capacity=prompt.shape[1] + max_new_tokens)
        begin = time.perf_counter()
        logits = self.step(prompt)
        self.prefill_seconds = time.perf_counter() - begin
        tokens = []
        begin = time.perf_counter()
        for i in range(max_new_tokens):
            tokens.append(logits[:, -1].argmax(-1).astype(self.ids_dtype))
            if i + 1 < max_new_tokens:
                logits = self.step(tokens[-1][:, None])
        self.decode_seconds = time.perf_counter() - begin
        self.decoded = max(max_new_tokens - 1, 0)
        return np.stack(tokens, axis=1) if tokens else np.zeros(
            (prompt.shape[0], 0), self.ids_dtype)

    def tokens_per_second(self) -> float:
        """Decode steps a second in the last `generate` (prompt excluded)."""
        return self.decoded / self.decode_seconds if self.decode_seconds else 0.0

    def cache_bytes(self) -> Dict[str, int]:
        """Bytes the caches hold now: {"append": the KV caches', "state":
        the linear states'}."""
        total = {"append": 0, "state": 0}
        for c in self.pairs:
            total[c.kind] += self.caches[c.input].nbytes if c.input in self.caches else 0
        return total
