"""hydra-compile, hydra-inspect and hydra-run on .mlir and .onnx models:
the artifact round trip, dynamic sizes, and the clear errors for bad
models, corrupted artifacts and bad inputs."""

import json
import os
import re
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tools import BUILD, ROOT, assert_clean_error, tool

sys.path.insert(0, os.path.join(ROOT, "test", "Execution"))
import reference  # noqa: E402

DYNAMIC_MLIR = """
func.func @layer(%q: tensor<?x4x?x16xf32> {hydra.name = "q"},
                 %k: tensor<?x2x?x16xf32> {hydra.name = "k"},
                 %v: tensor<?x2x?x16xf32> {hydra.name = "v"})
    -> (tensor<?x4x?x16xf32> {hydra.name = "y"}) {
  %y = hydra.hybrid_attention %q, %k, %v {heads = #hydra.heads<"FLFL">, causal}
     : tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>
    -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
"""


@pytest.fixture(scope="module")
def dynamic_artifact(tmp_path_factory):
    d = tmp_path_factory.mktemp("dyn")
    (d / "layer.mlir").write_text(DYNAMIC_MLIR)
    tool("hydra-compile", d / "layer.mlir", "-o", d / "layer.hydra", check=True)
    return d / "layer.hydra"


def save_inputs(d, **arrays):
    args = []
    for name, a in arrays.items():
        np.save(d / f"{name}.npy", a)
        args += ["--input", f"{name}={d / (name + '.npy')}"]
    return args


def qkv(rng, b, s):
    return (rng.standard_normal((b, 4, s, 16)).astype(np.float32),
            rng.standard_normal((b, 2, s, 16)).astype(np.float32),
            rng.standard_normal((b, 2, s, 16)).astype(np.float32))


@pytest.mark.parametrize("b,s", [(1, 5), (3, 70)])
def test_one_artifact_runs_every_size(dynamic_artifact, tmp_path, b, s):
    q, k, v = qkv(np.random.default_rng(s), b, s)
    args = save_inputs(tmp_path, q=q, k=k, v=v)
    tool("hydra-run", dynamic_artifact, *args, "--output-dir", tmp_path / "out",
         check=True)
    got = np.load(tmp_path / "out" / "y.npy")
    ref = reference.hybrid_attention(q, k, v, "FLFL", causal=True)
    assert got.shape == ref.shape
    assert np.max(np.abs(got - ref)) <= 1e-4 * max(1, np.max(np.abs(ref)))


def test_inspect_shows_signatures_kernels_and_targets(dynamic_artifact):
    text = tool("hydra-inspect", dynamic_artifact, check=True).stdout
    # s0 and s1 from the inputs; the rest derived (full attention's grid
    # sizes choose between its prefill and decode grids per call).
    assert re.search(r"function layer \(\d+ size symbols\)", text), text
    assert re.search(r"size s\d+ = ceildiv\(s1, 1024\)", text), text
    assert "input  q: f32[s0, 4, s1, 16]" in text
    assert "output y: f32[s0, 4, s1, 16]" in text
    # Prefill tiles: ceil(S / 64) of them when the call is not a decode.
    assert "= ceildiv(s1, 64)" in text
    assert re.search(r"launch layer_k0_full_attention grid \[s0, 2, s\d+\]", text), text
    assert "target x86_64, elf_shared_object" in text
    info = json.loads(tool("hydra-inspect", dynamic_artifact, "--json", check=True).stdout)
    assert [f["name"] for f in info["functions"]] == ["layer"]
    assert info["executables"][0]["target"] == "x86_64"
    # Full attention's prefill, decode and combine grids; linear attention.
    assert len(info["kernels"]) == 4


def test_flatc_dumps_the_artifact(dynamic_artifact, tmp_path):
    proc = os.system(f"flatc --json --raw-binary -o {tmp_path} "
                     f"{ROOT}/runtime/schema/hydra_artifact.fbs -- {dynamic_artifact}")
    assert proc == 0
    dump = (tmp_path / "layer.json").read_text()
    assert "format_version: 4" in dump and 'name: "layer"' in dump


def test_corrupted_artifacts_are_rejected(dynamic_artifact, tmp_path):
    data = dynamic_artifact.read_bytes()
    rng = np.random.default_rng(0)
    bad = []
    for cut in [0, 4, 7, 64, len(data) // 2, len(data) - 1]:
        bad.append(data[:cut])
    for pos in rng.choice(len(data), size=48, replace=False):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << int(rng.integers(8))
        bad.append(bytes(flipped))
    q, k, v = qkv(np.random.default_rng(1), 1, 3)
    args = save_inputs(tmp_path, q=q, k=k, v=v)
    for i, blob in enumerate(bad):
        path = tmp_path / f"bad{i}.hydra"
        path.write_bytes(blob)
        assert_clean_error(tool("hydra-inspect", path), "invalid artifact")
        assert_clean_error(tool("hydra-run", path, *args, "--output-dir",
                                tmp_path / "out"), "invalid artifact")


def test_bad_inputs_are_named(dynamic_artifact, tmp_path):
    rng = np.random.default_rng(2)
    q, k, v = qkv(rng, 2, 6)
    cases = [
        (dict(q=q.astype(np.float64), k=k, v=v), ["input 0 'q'", "dtype is f64"]),
        (dict(q=q[0], k=k, v=v), ["input 0 'q'", "rank is 3"]),
        (dict(q=q[:, :3], k=k, v=v), ["input 0 'q'", "has 3 in dim 1 where 4 is required"]),
        (dict(q=q, k=k[:1], v=v), ["input 1 'k'", "has 1 in dim 0, but input 0 'q' has 2",
                                    "must agree"]),
        (dict(q=q, k=k, v=v[:, :, :5]), ["input 2 'v'", "has 5 in dim 2"]),
    ]
    for arrays, fragments in cases:
        args = save_inputs(tmp_path, **arrays)
        assert_clean_error(tool("hydra-run", dynamic_artifact, *args, "--output-dir",
                                tmp_path / "out"), *fragments)
    args = save_inputs(tmp_path, q=q, k=k)
    assert_clean_error(tool("hydra-run", dynamic_artifact, *args, "--output-dir",
                            tmp_path / "out"), "missing --input v=FILE.npy")
    args = save_inputs(tmp_path, q=q, k=k, v=v, w=v)
    assert_clean_error(tool("hydra-run", dynamic_artifact, *args, "--output-dir",
                            tmp_path / "out"), "has no input 'w'")
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr'")
    assert_clean_error(tool("hydra-run", dynamic_artifact, "--input",
                            f"q={tmp_path / 'junk.npy'}", "--output-dir", tmp_path),
                       "input 'q'", "truncated")
    np.save(tmp_path / "fortran.npy", np.asfortranarray(q))
    assert_clean_error(tool("hydra-run", dynamic_artifact, "--input",
                            f"q={tmp_path / 'fortran.npy'}", "--output-dir", tmp_path),
                       "Fortran order")


def test_runtime_links_no_llvm_mlir_or_protobuf():
    for binary in [os.path.join(BUILD, "lib", "libhydra_runtime.so"),
                   os.path.join(BUILD, "bin", "hydra-run"),
                   os.path.join(BUILD, "bin", "hydra-inspect")]:
        deps = os.popen(f"ldd {binary}").read()
        assert "libhydra_runtime" in deps or binary.endswith(".so")
        for banned in ("libLLVM", "libMLIR", "libprotobuf", "libonnx"):
            assert banned not in deps, f"{binary} depends on {banned}:\n{deps}"


def write_model(path, nodes, inputs, outputs, opsets=(("", 23),), initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid(d, v) for d, v in opsets])
    onnx.save(model, path)


def test_every_unsupported_operator_is_reported_at_once(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    write_model(tmp_path / "m.onnx", [
        helper.make_node("FancyOp", ["x"], ["t"], name="first"),
        helper.make_node("OtherOp", ["t"], ["y"], name="second", domain="com.example"),
    ], [x], [y], opsets=(("", 23), ("com.example", 1)))
    assert_clean_error(tool("hydra-compile", tmp_path / "m.onnx", "-o", tmp_path / "m.hydra"),
                       "not supported: 2 operators", "FancyOp (node 'first')",
                       "com.example::OtherOp (node 'second')")


def test_malformed_model_is_reported(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"\x08\x07\x12\xff\xff garbage")
    assert_clean_error(tool("hydra-compile", tmp_path / "bad.onnx", "-o", tmp_path / "x"),
                       "not a valid ONNX model")


def test_attribute_errors_name_the_node(tmp_path):
    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, 4, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 32])
    write_model(tmp_path / "m.onnx", [helper.make_node(
        "HybridAttention", ["q", "q", "q"], ["y"], domain="ai.hydrahead", name="layer0",
        q_num_heads=4, kv_num_heads=4, heads="FLX")], [q], [y],
        opsets=(("", 23), ("ai.hydrahead", 1)))
    assert_clean_error(tool("hydra-compile", tmp_path / "m.onnx", "-o", tmp_path / "x"),
                       "node 'layer0' (HybridAttention)", "heads ('FLX')")


def test_emit_stages(tmp_path):
    (tmp_path / "layer.mlir").write_text(DYNAMIC_MLIR)
    kernels = tool("hydra-compile", tmp_path / "layer.mlir", "--emit=kernels", check=True).stdout
    assert "hydra.launch @layer_k0_full_attention" in kernels and "hydra.kernel" in kernels
    llvm_ir = tool("hydra-compile", tmp_path / "layer.mlir", "--emit=llvm", check=True).stdout
    assert "define void @hydra_entry_layer_k0_full_attention" in llvm_ir
    assert_clean_error(tool("hydra-compile", tmp_path / "layer.mlir", "--emit=asm"),
                       "unknown --emit=asm")
    assert_clean_error(tool("hydra-compile", tmp_path / "layer.mlir", "-o", tmp_path / "x",
                            "--target=sm_52"), "not supported: target 'sm_52'")


def test_tensors_beyond_the_artifacts_rank_limit_are_refused_at_compile_time(tmp_path):
    """The compiler respects the runtime's limits (runtime/src/artifact_format.h)
    rather than writing an artifact the runtime would refuse."""
    shape = [1] * 9
    write_model(tmp_path / "m.onnx", [helper.make_node("Relu", ["x"], ["y"])],
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    assert_clean_error(tool("hydra-compile", tmp_path / "m.onnx", "-o", tmp_path / "m.hydra"),
                       "not supported: input 0 of rank 9",
                       "an artifact's tensors have rank at most 8")
    assert not (tmp_path / "m.hydra").exists()


def test_inspect_shows_each_layers_head_map(tmp_path):
    """hydra-inspect's head maps (text, JSON, SVG) are the model's own: the
    HybridAttention nodes' `heads` attributes in order, and a transformers
    export's attention as all-F layers with its kv heads."""
    import xml.etree.ElementTree as ET
    suite = os.path.join(ROOT, "test", "Models", "real")
    model = os.path.join(suite, "hydrahead-decode-dynamo-op23-sdpa.onnx")
    nodes = [n for n in onnx.load(model).graph.node if n.op_type == "HybridAttention"]
    want = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in nodes]
    artifact = tmp_path / "decoder.hydra"
    tool("hydra-compile", model, "-o", artifact, check=True)
    svg = tmp_path / "heads.svg"
    text = tool("hydra-inspect", artifact, "--head-map", svg, check=True).stdout
    whole = json.loads(tool("hydra-inspect", artifact, "--json", check=True).stdout)
    layers = whole["functions"][0]["attention_layers"]
    assert [l["heads"] for l in layers] == [w["heads"].decode() for w in want]
    # The JSON holds what the text shows: temporaries, each launch's
    # buffers, size checks, constants.
    program = whole["functions"][0]["programs"][0]
    assert program["temporaries"] and all(t["shape"] for t in program["temporaries"])
    assert "input 'input_ids'" in program["launches"][0]["buffers"]
    assert isinstance(whole["functions"][0]["size_checks"], list)
    assert whole["constants"] and all(c["bytes"] > 0 for c in whole["constants"])
    assert [l["kv_heads"] for l in layers] == [w["kv_num_heads"] for w in want]
    assert [l["update_rule"] for l in layers] == [w["update_rule"].decode() for w in want]
    for i, l in enumerate(layers):
        assert f"layer {i} '{l['name']}': {l['heads']}" in text
    # One F head of four over 2 kv heads: the KV cache covers one kv head.
    assert [(l["cache_kv_heads"], l["state_kv_heads"]) for l in layers] == [(1, 2), (1, 2)]
    cells = [r for r in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}rect")
             if r.find("{http://www.w3.org/2000/svg}title") is not None]
    kinds = "".join(r.find("{http://www.w3.org/2000/svg}title").text[-1] for r in cells)
    assert kinds == "".join(l["heads"] for l in layers)

    llama = tmp_path / "llama.hydra"
    tool("hydra-compile", os.path.join(suite, "llama-prefill-dynamo-op23-sdpa.onnx"),
         "-o", llama, check=True)
    layers = json.loads(tool("hydra-inspect", llama, "--json", check=True).stdout)[
        "functions"][0]["attention_layers"]
    assert [(l["heads"], l["kv_heads"], l["update_rule"]) for l in layers] == [
        ("FFFF", 2, "")] * 2
