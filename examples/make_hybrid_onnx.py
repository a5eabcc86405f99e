"""Writes a small HydraHead layer as an ONNX model (7 linear heads, 1 full
head, gated delta rule, fusion scale as an initializer), random inputs,
and the float64 reference output next to them.

    python examples/make_hybrid_onnx.py OUT_DIR [--spelling custom|standard]

custom (the default) is one ai.hydrahead::HybridAttention node; standard
is the same layer in standard ONNX operators (Gather, Attention,
LinearAttention, Concat, RMSNormalization, Mul), which hydra raises back to
one hybrid op. See examples/hybrid_models.py.
"""

import argparse
import os
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "Execution"))
import reference  # noqa: E402
from hybrid_models import HybridLayer  # noqa: E402


def heads(x, h):
    """[B, S, H*D] -> [B, H, S, D]."""
    b, s, hd = x.shape
    return x.reshape(b, s, h, hd // h).transpose(0, 2, 1, 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="hydra_example")
    parser.add_argument("--spelling", choices=["custom", "standard"], default="custom")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(2606)
    layer = HybridLayer("FLLLLLLL", B=1, S=128, Hkv=2, Dk=32, Dv=32, rule="gated_delta",
                        fusion_scale=(0.5 + rng.random((8, 32))).astype(np.float32))
    model = layer.custom_model() if args.spelling == "custom" else layer.standard_model()
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    x = layer.random_inputs(seed=2606)
    for name, value in x.items():
        np.save(os.path.join(args.out, name + ".npy"), value)
    ref = reference.hybrid_attention(
        heads(x["query"], layer.Hq), heads(x["key"], layer.Hkv), heads(x["value"], layer.Hkv),
        layer.heads, causal=True, rule=layer.rule, decay=x["decay"].transpose(0, 2, 1),
        beta=x["beta"].transpose(0, 2, 1), fusion_scale=layer.fusion_scale)
    b, h, s, d = ref.shape
    np.save(os.path.join(args.out, "reference.npy"), ref.transpose(0, 2, 1, 3).reshape(b, s, h * d))
    print(f"wrote {args.out}/model.onnx ({args.spelling} spelling of HybridAttention "
          f"{layer.heads}, B={layer.B} S={layer.S} Hq={layer.Hq} Hkv={layer.Hkv} "
          f"D={layer.Dk}) and its inputs")


if __name__ == "__main__":
    main()
