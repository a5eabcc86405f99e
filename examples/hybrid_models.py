"""One HydraHead layer written as ONNX two ways, from the same parameters:

- custom:   one ai.hydrahead::HybridAttention node (the contract in
            docs/custom-op.md);
- standard: what an exporter without the custom op writes: the heads
            gathered into a full-attention group (Attention-23, 4D) and a
            linear group (LinearAttention-27, 3D), the group outputs
            concatenated and gathered back into head order,
            RMSNormalization over each head row and a Mul by the per-head
            fusion scale. hydra's raising pass turns it back into one
            hydra.hybrid_attention.

Both take query [B, S, Hq*Dk], key [B, S, Hkv*Dk], value [B, S, Hkv*Dv],
decay [B, S, Hkv] (or [B, S, Hkv*Dk]) and beta [B, S, Hkv] (or [B, S, 1])
and give y [B, S, Hq*Dv]. With `past` set, both also take the caches of
a decode step (past_key, past_value over the F heads' kv heads, P = past
tokens; past_state over the L heads') and return their presents: the
custom op's inputs 6-8 and outputs 1-3, the standard spelling's
Attention past_key/past_value and LinearAttention past_state. The standard spelling only uses operators that
onnx.reference implements, so it doubles as the numpy reference.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np
from onnx import TensorProto, helper, numpy_helper

GATED = ("gated", "gated_delta")
DELTA = ("delta", "gated_delta")


@dataclass
class HybridLayer:
    heads: str
    B: int = 1
    S: int = 64
    Hkv: int = 2
    Dk: int = 16
    Dv: int = 16
    rule: str = "gated_delta"
    causal: bool = True
    decay_per_key: bool = False
    beta_shared: bool = False
    fusion_scale: Optional[np.ndarray] = None  # [Hq, Dv]
    epsilon: float = 1e-6
    scale: Optional[float] = None
    linear_scale: Optional[float] = None
    # Standard spelling: "shared" gives each group as few kv heads as its
    # query heads allow (GQA inside the group); "per_head" one kv head per
    # query head.
    kv_mode: str = "shared"
    # Standard spelling: normalize in [B, H, S, Dv] ("bhsd", γ as [Hq, 1, Dv])
    # or after the transpose back to [B, S, H, Dv] ("bshd", γ as [Hq, Dv]).
    norm_layout: str = "bhsd"
    # Caches of a decode step after `past` tokens (None: no caches).
    past: Optional[int] = None

    @property
    def Hq(self):
        return len(self.heads)

    def kv_of(self, kind):
        """The kv heads `kind` heads read, increasing (the caches' heads)."""
        g = self.Hq // self.Hkv
        return sorted({h // g for h, c in enumerate(self.heads) if c == kind})

    def cache_shapes(self):
        """{name: shape} of the past caches, and of the presents."""
        if self.past is None:
            return {}, {}
        nf, nl = len(self.kv_of("F")), len(self.kv_of("L"))
        past, present = {}, {}
        if nf:
            past["past_key"] = [self.B, nf, self.past, self.Dk]
            past["past_value"] = [self.B, nf, self.past, self.Dv]
            present["present_key"] = [self.B, nf, self.past + self.S, self.Dk]
            present["present_value"] = [self.B, nf, self.past + self.S, self.Dv]
        if nl:
            past["past_state"] = [self.B, nl, self.Dk, self.Dv]
            present["present_state"] = [self.B, nl, self.Dk, self.Dv]
        return past, present

    def input_infos(self):
        B, S = self.B, self.S
        infos = [
            helper.make_tensor_value_info("query", TensorProto.FLOAT, [B, S, self.Hq * self.Dk]),
            helper.make_tensor_value_info("key", TensorProto.FLOAT, [B, S, self.Hkv * self.Dk]),
            helper.make_tensor_value_info("value", TensorProto.FLOAT, [B, S, self.Hkv * self.Dv]),
        ]
        if self.rule in GATED:
            width = self.Hkv * self.Dk if self.decay_per_key else self.Hkv
            infos.append(helper.make_tensor_value_info("decay", TensorProto.FLOAT, [B, S, width]))
        if self.rule in DELTA:
            width = 1 if self.beta_shared else self.Hkv
            infos.append(helper.make_tensor_value_info("beta", TensorProto.FLOAT, [B, S, width]))
        infos += [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
                  for n, shape in self.cache_shapes()[0].items()]
        return infos

    def output_infos(self):
        return [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                              [self.B, self.S, self.Hq * self.Dv])] + [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
            for n, shape in self.cache_shapes()[1].items()]

    def random_inputs(self, seed):
        rng = np.random.default_rng(seed)
        B, S = self.B, self.S
        k = rng.standard_normal((B, S, self.Hkv, self.Dk))
        k /= np.linalg.norm(k, axis=-1, keepdims=True)  # keeps delta rules stable
        x = {
            "query": rng.standard_normal((B, S, self.Hq * self.Dk)),
            "key": k.reshape(B, S, -1),
            "value": rng.standard_normal((B, S, self.Hkv * self.Dv)),
        }
        if self.rule in GATED:
            width = self.Hkv * self.Dk if self.decay_per_key else self.Hkv
            x["decay"] = -0.3 * rng.random((B, S, width))
        if self.rule in DELTA:
            x["beta"] = rng.random((B, S, 1 if self.beta_shared else self.Hkv))
        for n, shape in self.cache_shapes()[0].items():
            # States are sums of decayed outer products: small.
            x[n] = rng.standard_normal(shape) * (0.1 if n == "past_state" else 1.0)
        return {n: v.astype(np.float32) for n, v in x.items()}

    def _model(self, nodes, initializers, opsets):
        graph = helper.make_graph(nodes, "hybrid_layer", self.input_infos(),
                                  self.output_infos(), initializers)
        return helper.make_model(graph, ir_version=10, opset_imports=[
            helper.make_opsetid(domain, version) for domain, version in opsets])

    def custom_model(self):
        inputs = ["query", "key", "value",
                  "fusion_scale" if self.fusion_scale is not None else "",
                  "decay" if self.rule in GATED else "",
                  "beta" if self.rule in DELTA else ""]
        past, present = self.cache_shapes()
        inputs += [n if n in past else "" for n in ("past_key", "past_value", "past_state")]
        while inputs[-1] == "":
            inputs.pop()
        outputs = ["y"] + [n if n in present else ""
                           for n in ("present_key", "present_value", "present_state")]
        while outputs[-1] == "":
            outputs.pop()
        attrs = dict(q_num_heads=self.Hq, kv_num_heads=self.Hkv, heads=self.heads,
                     update_rule=self.rule, is_causal=int(self.causal),
                     fusion_epsilon=self.epsilon)
        if self.scale is not None:
            attrs["scale"] = self.scale
        if self.linear_scale is not None:
            attrs["linear_scale"] = self.linear_scale
        node = helper.make_node("HybridAttention", inputs, outputs, domain="ai.hydrahead",
                                name="hybrid_layer", **attrs)
        inits = []
        if self.fusion_scale is not None:
            inits.append(numpy_helper.from_array(
                self.fusion_scale.astype(np.float32), "fusion_scale"))
        return self._model([node], inits, [("", 23), ("ai.hydrahead", 1)])

    def standard_model(self):
        return _StandardWriter(self).model()


class _StandardWriter:
    """Builds the standard-op graph node by node."""

    def __init__(self, layer):
        self.layer = layer
        self.nodes = []
        self.inits = []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, output, extra_outputs=(), **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output, *extra_outputs], name=output,
                                           **attrs))
        return output

    def ints(self, name, values):
        return self.const(name, np.array(values, np.int64))

    def to_heads(self, x, heads, d):
        """[B, S, H*D] -> [B, H, S, D]."""
        L = self.layer
        r = self.node("Reshape", [x, self.ints(x + "_4d_shape", [L.B, L.S, heads, d])], x + "_4d")
        return self.node("Transpose", [r], x + "_heads", perm=[0, 2, 1, 3])

    def from_heads(self, x, heads, d, name):
        """[B, H, S, D] -> [B, S, H*D]."""
        L = self.layer
        t = self.node("Transpose", [x], name + "_t", perm=[0, 2, 1, 3])
        return self.node("Reshape", [t, self.ints(name + "_shape", [L.B, L.S, heads * d])], name)

    def kv_heads(self, group):
        """The kv heads a group reads, in the order its query heads use them."""
        L = self.layer
        g = L.Hq // L.Hkv
        per_head = [h // g for h in group]
        if L.kv_mode == "per_head":
            return per_head
        shared = sorted(set(per_head))
        ratio = len(group) // len(shared)
        if ratio * len(shared) == len(group) and all(
                per_head[i] == shared[i // ratio] for i in range(len(group))):
            return shared
        return per_head

    def gather(self, x, indices, axis, name):
        return self.node("Gather", [x, self.ints(name + "_idx", indices)], name, axis=axis)

    def model(self):
        L = self.layer
        q = self.to_heads("query", L.Hq, L.Dk)
        k = self.to_heads("key", L.Hkv, L.Dk)
        v = self.to_heads("value", L.Hkv, L.Dv)
        full = [h for h, c in enumerate(L.heads) if c == "F"]
        linear = [h for h, c in enumerate(L.heads) if c == "L"]
        parts, order = [], []
        if full:
            kv = self.kv_heads(full)
            attrs = dict(is_causal=int(L.causal))
            if L.scale is not None:
                attrs["scale"] = L.scale
            inputs = [self.gather(q, full, 1, "q_full"), self.gather(k, kv, 1, "k_full"),
                      self.gather(v, kv, 1, "v_full")]
            presents = ()
            if L.past is not None:
                inputs += ["", "past_key", "past_value"]
                presents = ("present_key", "present_value")
            parts.append(self.node("Attention", inputs, "o_full", extra_outputs=presents,
                                   **attrs))
            order += full
        if linear:
            parts.append(self.linear_group(q, k, v, linear))
            order += linear
        o = parts[0] if len(parts) == 1 else self.node("Concat", parts, "o_groups", axis=1)
        if order != list(range(L.Hq)):
            o = self.gather(o, [order.index(h) for h in range(L.Hq)], 1, "o_heads")
        bshd = L.norm_layout == "bshd"
        if bshd:
            o = self.node("Transpose", [o], "y_t", perm=[0, 2, 1, 3])
        if L.fusion_scale is not None:
            ones = self.const("norm_ones", np.ones(L.Dv, np.float32))
            o = self.node("RMSNormalization", [o, ones], "o_norm", axis=-1,
                          epsilon=L.epsilon)
            gamma_shape = (L.Hq, L.Dv) if bshd else (L.Hq, 1, L.Dv)
            gamma = self.const("fusion_scale",
                               L.fusion_scale.astype(np.float32).reshape(gamma_shape))
            o = self.node("Mul", [o, gamma], "o_scaled")
        if not bshd:
            o = self.node("Transpose", [o], "y_t", perm=[0, 2, 1, 3])
        self.node("Reshape", [o, self.ints("y_shape", [L.B, L.S, L.Hq * L.Dv])], "y")
        opsets = [("", 27)]
        return self.layer._model(self.nodes, self.inits, opsets)

    def linear_group(self, q, k, v, group):
        L = self.layer
        kv = self.kv_heads(group)
        n, m = len(group), len(kv)
        inputs = [
            self.from_heads(self.gather(q, group, 1, "q_lin4"), n, L.Dk, "q_lin"),
            self.from_heads(self.gather(k, kv, 1, "k_lin4"), m, L.Dk, "k_lin"),
            self.from_heads(self.gather(v, kv, 1, "v_lin4"), m, L.Dv, "v_lin"),
            "past_state" if L.past is not None else "",
        ]
        if L.rule in GATED:
            if L.decay_per_key:
                d4 = self.node("Reshape", ["decay", self.ints(
                    "decay_4d_shape", [L.B, L.S, L.Hkv, L.Dk])], "decay_4d")
                g = self.gather(d4, kv, 2, "decay_lin4")
                inputs.append(self.node("Reshape", [g, self.ints(
                    "decay_lin_shape", [L.B, L.S, m * L.Dk])], "decay_lin"))
            else:
                inputs.append(self.gather("decay", kv, 2, "decay_lin"))
        else:
            inputs.append("")
        if L.rule in DELTA:
            inputs.append("beta" if L.beta_shared else self.gather("beta", kv, 2, "beta_lin"))
        while inputs[-1] == "":
            inputs.pop()
        attrs = dict(q_num_heads=n, kv_num_heads=m, update_rule=L.rule)
        if L.linear_scale is not None:
            attrs["scale"] = L.linear_scale
        # present_state is a required output of LinearAttention-27 (a graph
        # output with caches, unused without).
        state = "present_state" if L.past is not None else "o_lin_state"
        o3 = self.node("LinearAttention", inputs, "o_lin3", extra_outputs=[state], **attrs)
        r = self.node("Reshape", [o3, self.ints("o_lin_4d_shape", [L.B, L.S, n, L.Dv])],
                      "o_lin_4d")
        return self.node("Transpose", [r], "o_lin", perm=[0, 2, 1, 3])
