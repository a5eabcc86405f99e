"""Writes a small HydraHead layer as an ONNX model: one
ai.hydrahead::HybridAttention node (7 linear heads, 1 full head, gated
delta rule, fusion scale as an initializer), and random inputs with the
float64 reference output next to it.

    python examples/make_hybrid_onnx.py OUT_DIR
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "Execution"))
import reference  # noqa: E402

B, S, HQ, HKV, D = 1, 128, 8, 2, 32
HEADS = "FLLLLLLL"


def packed(x):
    """[B, H, S, D] -> [B, S, H*D]."""
    b, h, s, d = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(b, s, h * d))


def make_model(fusion_scale):
    node = helper.make_node(
        "HybridAttention", ["query", "key", "value", "fusion_scale", "decay", "beta"],
        ["y"], domain="ai.hydrahead", name="hybrid_layer",
        q_num_heads=HQ, kv_num_heads=HKV, heads=HEADS,
        update_rule="gated_delta", is_causal=1)
    inputs = [
        helper.make_tensor_value_info("query", TensorProto.FLOAT, [B, S, HQ * D]),
        helper.make_tensor_value_info("key", TensorProto.FLOAT, [B, S, HKV * D]),
        helper.make_tensor_value_info("value", TensorProto.FLOAT, [B, S, HKV * D]),
        helper.make_tensor_value_info("decay", TensorProto.FLOAT, [B, S, HKV]),
        helper.make_tensor_value_info("beta", TensorProto.FLOAT, [B, S, HKV]),
    ]
    output = helper.make_tensor_value_info("y", TensorProto.FLOAT, [B, S, HQ * D])
    graph = helper.make_graph([node], "hydra_example", inputs, [output],
                              [numpy_helper.from_array(fusion_scale, "fusion_scale")])
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", 23), helper.make_opsetid("ai.hydrahead", 1)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "hydra_example"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2606)
    q = rng.standard_normal((B, HQ, S, D)).astype(np.float32)
    k = rng.standard_normal((B, HKV, S, D)).astype(np.float32)
    k /= np.linalg.norm(k, axis=-1, keepdims=True)
    v = rng.standard_normal((B, HKV, S, D)).astype(np.float32)
    decay = (-rng.random((B, HKV, S)) * 0.3).astype(np.float32)
    beta = rng.random((B, HKV, S)).astype(np.float32)
    fusion_scale = (0.5 + rng.random((HQ, D))).astype(np.float32)
    onnx.save(make_model(fusion_scale), os.path.join(out, "model.onnx"))
    np.save(os.path.join(out, "query.npy"), packed(q))
    np.save(os.path.join(out, "key.npy"), packed(k))
    np.save(os.path.join(out, "value.npy"), packed(v))
    np.save(os.path.join(out, "decay.npy"), np.ascontiguousarray(decay.transpose(0, 2, 1)))
    np.save(os.path.join(out, "beta.npy"), np.ascontiguousarray(beta.transpose(0, 2, 1)))
    ref = reference.hybrid_attention(q, k, v, HEADS, causal=True, rule="gated_delta",
                                     decay=decay, beta=beta, fusion_scale=fusion_scale)
    np.save(os.path.join(out, "reference.npy"), packed(ref))
    print(f"wrote {out}/model.onnx (HybridAttention {HEADS}, B={B} S={S} "
          f"Hq={HQ} Hkv={HKV} D={D}) and its inputs")


if __name__ == "__main__":
    main()
