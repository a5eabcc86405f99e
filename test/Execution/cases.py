"""Hybrid-attention test cases: random inputs, the .mlir function that
computes them with hydra.hybrid_attention, and the float64 reference."""

from dataclasses import dataclass, field

import numpy as np

from hydra_exec import mlir_type
import reference


@dataclass
class HybridCase:
    heads: str
    B: int = 1
    Hkv: int = None  # defaults to Hq (no GQA)
    S: int = 19
    T: int = None  # defaults to S
    Dk: int = 16
    Dv: int = 16
    causal: bool = False
    softcap: float = None
    mask: str = None  # None | "bool" | "float"
    mask_shape: tuple = None  # defaults to [B, Hq, S, T]
    rule: str = "linear"
    decay: str = None  # None | "head" | "dim"
    beta_heads: int = None  # None (no beta) | Hkv | 1
    fusion: bool = False
    scale: float = None
    linear_scale: float = None
    initial_state: bool = False  # an f32 state [B, Hkv, Dk, Dv] to start from
    decay_strength: float = 0.5  # log decays drawn from [-decay_strength, 0)
    dtype: type = np.float32
    dynamic: bool = False  # B, S and T as '?' in the function's types
    inputs: dict = field(default_factory=dict, repr=False)

    @property
    def Hq(self):
        return len(self.heads)

    def __post_init__(self):
        self.Hkv = self.Hkv or self.Hq
        self.T = self.T or self.S
        if self.mask and self.mask_shape is None:
            self.mask_shape = (self.B, self.Hq, self.S, self.T)

    def make_inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        B, Hq, Hkv, S, T, Dk, Dv = (self.B, self.Hq, self.Hkv, self.S, self.T,
                                    self.Dk, self.Dv)
        ins = {
            "q": rng.standard_normal((B, Hq, S, Dk)),
            "k": rng.standard_normal((B, Hkv, T, Dk)),
            "v": rng.standard_normal((B, Hkv, T, Dv)),
        }
        if self.rule in ("delta", "gated_delta"):
            # The delta rules expect unit-norm keys (as models feed them).
            ins["k"] /= np.linalg.norm(ins["k"], axis=-1, keepdims=True)
        if self.fusion:
            ins["fusion_scale"] = 0.5 + rng.random((Hq, Dv))
        if self.decay == "head":
            ins["decay"] = -rng.random((B, Hkv, T)) * self.decay_strength
        elif self.decay == "dim":
            ins["decay"] = -rng.random((B, Hkv, T, Dk)) * self.decay_strength
        if self.beta_heads:
            ins["beta"] = rng.random((B, self.beta_heads, T))
        if self.mask == "bool":
            m = rng.random(self.mask_shape) < 0.8
            # Keep key 0 for every query so no row is fully masked.
            m[..., 0] = True
            ins["mask"] = m
        elif self.mask == "float":
            ins["mask"] = rng.standard_normal(self.mask_shape)
        self.inputs = {n: (a if a.dtype == np.bool_ else a.astype(self.dtype))
                       for n, a in ins.items()}
        if self.initial_state:  # states stay f32 whatever the inputs' type
            self.inputs["initial_state"] = rng.standard_normal(
                (B, Hkv, Dk, Dv)).astype(np.float32) * 0.5
        return self.inputs

    def operand_order(self):
        return [n for n in ("q", "k", "v", "fusion_scale", "decay", "beta", "mask",
                            "initial_state") if n in self.inputs]

    def output_shape(self):
        return (self.B, self.Hq, self.S, self.Dv)

    # Dims that hold B, S or T, made dynamic when `dynamic` is set.
    _DYNAMIC_DIMS = {"q": (0, 2), "k": (0, 2), "v": (0, 2), "decay": (0, 2),
                     "beta": (0, 2), "out": (0, 2)}

    def _type(self, name):
        shape = self.output_shape() if name == "out" else self.inputs[name].shape
        dtype = self.dtype if name == "out" else self.inputs[name].dtype
        if self.dynamic:
            shape = ["?" if i in self._DYNAMIC_DIMS.get(name, ()) else d
                     for i, d in enumerate(shape)]
        return mlir_type(shape, dtype)

    def mlir_source(self, name="hybrid"):
        ins = self.inputs
        args = ", ".join(f"%{n}: {self._type(n)}" for n in self.operand_order())
        out_type = self._type("out")
        optional = "".join(f" {n}(%{n} : {self._type(n)})"
                           for n in ("fusion_scale", "decay", "beta", "mask",
                                     "initial_state") if n in ins)
        attrs = [f'heads = #hydra.heads<"{self.heads}">']
        if self.causal:
            attrs.append("causal")
        if self.softcap is not None:
            attrs.append(f"softcap = {float(self.softcap)!r} : f32")
        if self.scale is not None:
            attrs.append(f"scale = {float(self.scale)!r} : f32")
        if self.linear_scale is not None:
            attrs.append(f"linear_scale = {float(self.linear_scale)!r} : f32")
        if self.rule != "linear":
            attrs.append(f"update_rule = #hydra.update_rule<{self.rule}>")
        qkv_types = ", ".join(self._type(n) for n in ("q", "k", "v"))
        # With a state to start from the op also gives the final state,
        # the function's second result.
        results, result_types = "%y", out_type
        if "initial_state" in ins:
            results += ", %s"
            result_types += ", " + self._type("initial_state")
        signature = result_types if "," not in result_types else f"({result_types})"
        return (
            f"func.func @{name}({args}) -> {signature} {{\n"
            f"  {results} = hydra.hybrid_attention %q, %k, %v{optional}\n"
            f"       {{{', '.join(attrs)}}}\n"
            f"     : {qkv_types} -> {result_types}\n"
            f"  return {results} : {result_types}\n"
            f"}}\n")

    def reference(self, return_state=False):
        """The float64 output; with `return_state`, also the final state."""
        ins = self.inputs
        return reference.hybrid_attention(
            ins["q"], ins["k"], ins["v"], self.heads, causal=self.causal,
            scale=self.scale, linear_scale=self.linear_scale,
            softcap=self.softcap, mask=ins.get("mask"), rule=self.rule,
            decay=ins.get("decay"), beta=ins.get("beta"),
            fusion_scale=ins.get("fusion_scale"),
            initial_state=ins.get("initial_state"), return_state=return_state)


def max_error(got, ref):
    """The issue's bound: |got − ref| / max(1, max|ref|)."""
    return float(np.max(np.abs(got.astype(np.float64) - ref)) /
                 max(1.0, float(np.max(np.abs(ref)))))
