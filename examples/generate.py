#!/usr/bin/env python3
"""Greedy generation with a compiled HydraHead decoder, its caches kept
between calls: the prompt in one call (an empty past), then one token a
call. Prints the tokens, the decode speed and the bytes the caches hold,
and, given PyTorch's tokens, whether they are the same.

    python examples/generate.py [MODEL.onnx|MODEL.hydra] [--reference NPZ]
        [--prompt 1,2,3] [--tokens N] [--device cpu]

By default it compiles the suite's HydraHead decoder
(test/Models/real/hydrahead-decode-dynamo-op23-sdpa.onnx: embedding, two
hybrid layers of 1 F : 3 L gated-delta and 3 L : 1 F linear heads, SwiGLU,
LM head; scripts/make_real_exports.py) and reads the prompt and PyTorch's
greedy tokens from test/Models/real/hydrahead-generate.npz."""

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hydrahead  # noqa: E402

SUITE = os.path.join(ROOT, "test", "Models", "real")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?",
                        default=os.path.join(SUITE, "hydrahead-decode-dynamo-op23-sdpa.onnx"))
    parser.add_argument("--reference", default=os.path.join(SUITE, "hydrahead-generate.npz"),
                        help="npz with `prompt` [1, S] and PyTorch's greedy `tokens`")
    parser.add_argument("--prompt", help="comma-separated token ids (else the reference's)")
    parser.add_argument("--tokens", type=int, help="new tokens (else the reference's count)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    reference = np.load(args.reference) if args.reference else None
    if args.prompt:
        prompt = np.array([[int(t) for t in args.prompt.split(",")]], np.int64)
    elif reference is not None:
        prompt = reference["prompt"]
    else:
        parser.error("give --prompt or --reference")
    count = args.tokens or (len(reference["tokens"]) if reference is not None else 16)

    if args.model.endswith(".hydra"):
        module = hydrahead.Module(args.model)
    else:
        target = "gpu-emulator" if args.device == "gpu-emulator" else "cpu"
        module = hydrahead.Module(hydrahead.compile(args.model, target=target))
    generator = hydrahead.Generator(hydrahead.Session(module, device=args.device))
    tokens = generator.generate(prompt, count)[0]

    cache = generator.cache_bytes()
    print("prompt:", " ".join(map(str, prompt[0])))
    print("tokens:", " ".join(map(str, tokens)))
    print(f"prefill {prompt.shape[1]} tokens: {generator.prefill_seconds * 1e3:.2f} ms; "
          f"decode: {generator.tokens_per_second():.0f} tokens/s")
    print(f"caches after {prompt.shape[1] + count - 1} tokens: KV {cache['append']} bytes, "
          f"linear states {cache['state']} bytes")
    same = None
    if reference is not None and not args.prompt:
        want = reference["tokens"][:count]
        same = len(want) == len(tokens) and bool((want == tokens).all())
        print("PyTorch's greedy tokens:", " ".join(map(str, want)),
              "(same)" if same else "(DIFFERENT)")
    return tokens, generator, same


if __name__ == "__main__":
    _, _, same = main()
    sys.exit(1 if same is False else 0)
