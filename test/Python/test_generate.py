"""Greedy generation with the suite's HydraHead decoder exported with its
caches (scripts/make_real_exports.py): the Python `hydrahead.Generator`
(examples/generate.py) and the C example (examples/generate.c, built as
hydra-generate) must give PyTorch's greedy tokens, stored by the script
that exported the model; the caches must hold only the F heads' kv heads
and the L heads' states, as docs/custom-op.md's formula says."""

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import hydrahead  # noqa: E402
import generate  # noqa: E402  (examples/generate.py)

BUILD = os.environ.get("HYDRA_BUILD_DIR", os.path.join(ROOT, "build"))
SUITE = os.path.join(ROOT, "test", "Models", "real")
MODEL = os.path.join(SUITE, "hydrahead-decode-dynamo-op23-sdpa.onnx")
REFERENCE = np.load(os.path.join(SUITE, "hydrahead-generate.npz"))


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("generate") / "decoder.hydra"
    path.write_bytes(hydrahead.compile(MODEL))
    return str(path)


def expected_cache_bytes(tokens):
    """2·L·Hkv_F·T·D·4 and L·Hkv_L·Dk·Dv·4, from the export's nodes."""
    model = onnx.load(MODEL)
    shapes = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim]
              for i in model.graph.input}
    kv = state = 0
    for node in model.graph.node:
        if node.op_type != "HybridAttention":
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        heads = attrs["heads"].decode()
        group = len(heads) // attrs["kv_num_heads"]
        full = len({h // group for h, c in enumerate(heads) if c == "F"})
        linear = len({h // group for h, c in enumerate(heads) if c == "L"})
        d = shapes[node.input[6]][3]
        dk, dv = shapes[node.input[8]][2:]
        kv += 2 * full * tokens * d * 4
        state += linear * dk * dv * 4
    return {"append": kv, "state": state}


def test_python_generator_gives_pytorchs_tokens(artifact):
    tokens, generator, same = generate.main([artifact])
    assert same, (tokens, REFERENCE["tokens"])
    fed = REFERENCE["prompt"].shape[1] + len(REFERENCE["tokens"]) - 1
    assert generator.cache_bytes() == expected_cache_bytes(fed)
    # Only the F heads' kv heads are cached: one of two in each layer.
    assert generator.caches["past_key_0"].shape == (1, 1, fed, 8)
    assert generator.caches["past_state_0"].shape == (1, 2, 8, 8)


def test_copying_caches_give_the_same_tokens(artifact):
    """in_place=False: each call returns new presents (the past copied), as
    the model's ONNX semantics state it; the tokens are the same."""
    generator = hydrahead.Generator(hydrahead.Session(hydrahead.Module(artifact)),
                                    in_place=False)
    tokens = generator.generate(REFERENCE["prompt"], len(REFERENCE["tokens"]))
    np.testing.assert_array_equal(tokens[0], REFERENCE["tokens"])


def test_a_batch_decodes_each_sequence_alone(artifact):
    """Two prompts in one batch give each prompt's tokens alone."""
    rng = np.random.default_rng(5)
    prompts = rng.integers(0, 64, (2, 6))
    generator = hydrahead.Generator(hydrahead.Session(hydrahead.Module(artifact)))
    together = generator.generate(prompts, 10)
    for b in range(2):
        np.testing.assert_array_equal(together[b], generator.generate(prompts[b:b + 1], 10)[0])


def test_c_example_gives_pytorchs_tokens(artifact):
    prompt = ",".join(map(str, REFERENCE["prompt"][0]))
    proc = subprocess.run([os.path.join(BUILD, "bin", "hydra-generate"), artifact, prompt,
                           str(len(REFERENCE["tokens"]))],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [int(t) for t in lines[0].split()] == REFERENCE["tokens"].tolist()
    fed = REFERENCE["prompt"].shape[1] + len(REFERENCE["tokens"]) - 1
    want = expected_cache_bytes(fed)
    assert f"caches: KV {want['append']} bytes, linear states {want['state']} bytes" in lines


def test_the_artifact_names_its_caches(artifact):
    caches = hydrahead.Module(artifact).caches()
    assert [(c.input, c.output, c.kind, c.axis, c.in_place) for c in caches] == [
        (f"past_{k}_{i}", f"present_{k}_{i}", "state" if k == "state" else "append",
         0 if k == "state" else 2, k != "state")
        for i in range(2) for k in ("key", "value", "state")]
    # A transformers decoder's past key values (present = Concat(past, new)).
    llama = hydrahead.Module(hydrahead.compile(
        os.path.join(SUITE, "llama-decode-dynamo-op23-sdpa.onnx")))
    # Its presents feed a decomposed attention whose kernels may assume a
    # dense layout: not updatable in place.
    assert [(c.kind, c.axis, c.in_place) for c in llama.caches()] == [
        ("append", 2, False)] * 4


def test_a_model_without_caches_cannot_generate():
    x = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, [1, 4])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["ids"], ["y"])],
                                                "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 23)])
    module = hydrahead.Module(hydrahead.compile(model.SerializeToString()))
    assert module.caches() == []
    with pytest.raises(hydrahead.HydraError, match="no cache pairs"):
        hydrahead.Generator(hydrahead.Session(module))
