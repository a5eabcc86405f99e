#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into test/Fuzz/corpus/ (committed):

  onnx/       ONNX's conformance models for the operators hydra imports
              (one per case, the small ones), both spellings of small
              hybrid layers, and a model with external data;
  external/   model.onnx and w.bin, the directory external data in fuzzed
              models resolves against;
  artifact/   artifacts compiled by hydra-compile from a few of those and
              a float Range, for a generic x86-64 CPU (so that they load
              on any machine).

Run after building hydra: .venv/bin/python scripts/make_fuzz_corpus.py
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "test", "Fuzz", "corpus")
NODE_TESTS = os.path.join(ROOT, "..", "shared", "onnx-node-tests")
COMPILE = os.path.join(ROOT, "build", "bin", "hydra-compile")
sys.path.insert(0, os.path.join(ROOT, "examples"))
from hybrid_models import HybridLayer  # noqa: E402

MAX_SEED_BYTES = 8192


def write(directory, data):
    os.makedirs(directory, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def external_model():
    """Add(x, w) with w in external data w.bin at offset 8."""
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "w.bin"), ("offset", "8"), ("length", "8")):
        e = w.external_data.add()
        e.key, e.value = k, v
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    onnx_dir = os.path.join(CORPUS, "onnx")
    for case in sorted(os.listdir(NODE_TESTS)):
        path = os.path.join(NODE_TESTS, case, "model.onnx")
        if os.path.exists(path) and os.path.getsize(path) <= MAX_SEED_BYTES:
            with open(path, "rb") as f:
                write(onnx_dir, f.read())
    layers = [HybridLayer("FLLL", Hkv=2, S=8, Dk=4, Dv=4),
              HybridLayer("LLFL", Hkv=1, S=8, Dk=4, Dv=4, rule="gated", decay_per_key=True),
              HybridLayer("FL", Hkv=2, S=8, Dk=4, Dv=4, rule="delta", beta_shared=True)]
    for layer in layers:
        write(onnx_dir, layer.custom_model().SerializeToString())
        write(onnx_dir, layer.standard_model().SerializeToString())
    ext = external_model().SerializeToString()
    write(onnx_dir, ext)
    ext_dir = os.path.join(CORPUS, "external")
    os.makedirs(ext_dir)
    with open(os.path.join(ext_dir, "model.onnx"), "wb") as f:
        f.write(ext)
    with open(os.path.join(ext_dir, "w.bin"), "wb") as f:
        f.write(np.array([0, 0, 1.5, -2.0], np.float32).tobytes())

    art_dir = os.path.join(CORPUS, "artifact")
    with tempfile.TemporaryDirectory() as tmp:
        sources = [("hybrid", layers[0].custom_model(), "cpu"),
                   ("gated", layers[1].custom_model(), "cpu,gpu-emulator")]
        neg = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "g",
                                [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
                                [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])])
        sources.append(("neg", helper.make_model(neg, opset_imports=[
            helper.make_opsetid("", 23)]), "cpu"))
        # A Range over float graph inputs: the float size ops.
        scalars = [helper.make_tensor_value_info(n, TensorProto.FLOAT, []) for n in "abd"]
        rng = helper.make_graph([helper.make_node("Range", ["a", "b", "d"], ["y"])], "g",
                                scalars,
                                [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        sources.append(("range", helper.make_model(rng, opset_imports=[
            helper.make_opsetid("", 23)]), "cpu"))
        for name, model, target in sources:
            src = os.path.join(tmp, name + ".onnx")
            out = os.path.join(tmp, name + ".hydra")
            onnx.save(model, src)
            subprocess.run([COMPILE, src, "-o", out, f"--target={target}",
                            "--cpu=x86-64"], check=True)
            with open(out, "rb") as f:
                write(art_dir, f.read())
    for d in (onnx_dir, art_dir):
        files = os.listdir(d)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        print(f"{os.path.relpath(d, ROOT)}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
