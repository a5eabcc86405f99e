"""What the importer builds, seen through `hydra-compile --emit=mlir` (as
imported) and `--emit=hydra` (after clean-up)."""

import onnx
from onnx import TensorProto, helper

from tools import tool


def save(path, nodes, inputs, outputs, opsets=(("", 23),), inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    onnx.save(helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid(d, v) for d, v in opsets]), path)


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def test_attention_3d_becomes_one_hybrid_op_with_full_heads(tmp_path):
    save(tmp_path / "m.onnx",
         [helper.make_node("Attention", ["q", "k", "v"], ["y"], name="attn",
                           q_num_heads=4, kv_num_heads=2, is_causal=1, softcap=5.0)],
         [vi("q", [1, 6, 32]), vi("k", [1, 6, 16]), vi("v", [1, 6, 16])], [vi("y", [1, 6, 32])])
    ir = tool("hydra-compile", tmp_path / "m.onnx", "--emit=mlir", check=True).stdout
    assert ir.count("hydra.hybrid_attention") == 1
    assert 'heads = #hydra.heads<"FFFF">' in ir and "causal" in ir
    assert "softcap = 5.000000e+00" in ir
    assert "tensor<1x4x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>" in ir
    assert 'hydra.name = "q"' in ir


def test_hybrid_custom_op_keeps_its_head_map_and_rule(tmp_path):
    save(tmp_path / "m.onnx",
         [helper.make_node("HybridAttention", ["q", "k", "v", "", "d", "b"], ["y"],
                           domain="ai.hydrahead", q_num_heads=4, kv_num_heads=2,
                           heads="FLLF", update_rule="gated_delta", fusion_epsilon=1e-5)],
         [vi("q", [1, 6, 32]), vi("k", [1, 6, 16]), vi("v", [1, 6, 16]),
          vi("d", [1, 6, 2]), vi("b", [1, 6, 2])], [vi("y", [1, 6, 32])],
         opsets=(("", 23), ("ai.hydrahead", 1)))
    ir = tool("hydra-compile", tmp_path / "m.onnx", "--emit=mlir", check=True).stdout
    assert 'heads = #hydra.heads<"FLLF">' in ir
    assert "update_rule = #hydra.update_rule<gated_delta>" in ir
    assert "decay(" in ir and "beta(" in ir and "fusion_scale(" not in ir


def test_shape_arithmetic_is_folded_at_import(tmp_path):
    # y = Reshape(x, Concat(Shape(x)[0:1], [-1])): the shape is computed by
    # the graph, folded at import into a static reshape (a view).
    save(tmp_path / "m.onnx", [
        helper.make_node("Shape", ["x"], ["s"], start=0, end=1),
        helper.make_node("Constant", [], ["minus1"], value_ints=[-1]),
        helper.make_node("Concat", ["s", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
    ], [vi("x", [2, 3, 4])], [vi("y", [2, 12])])
    ir = tool("hydra-compile", tmp_path / "m.onnx", "--emit=hydra", check=True).stdout
    assert "tensor.collapse_shape" in ir
    assert "tensor.reshape" not in ir and "memref" not in ir
    assert "-> (tensor<2x12xf32>" in ir


def test_float_range_of_graph_inputs_counts_in_double(tmp_path):
    # The count is ceil((limit - start) / delta) in f64 from the inputs'
    # elements: the form the compiler traces to the artifact's float size
    # ops (test_data_shapes.py runs it).
    save(tmp_path / "m.onnx", [helper.make_node("Range", ["a", "b", "c"], ["y"], name="r")],
         [vi("a", [], TensorProto.FLOAT16), vi("b", [], TensorProto.FLOAT16),
          vi("c", [], TensorProto.FLOAT16)], [vi("y", [None], TensorProto.FLOAT16)],
         opsets=(("", 27),))
    ir = tool("hydra-compile", tmp_path / "m.onnx", "--emit=mlir", check=True).stdout
    for op in ["arith.extf", "arith.subf", "arith.divf", "math.ceil", "arith.fptosi",
               "arith.truncf"]:
        assert op in ir, ir
    assert "-> (tensor<?xf16>" in ir


def test_shape_only_operator_on_run_time_values_is_an_error(tmp_path):
    # Range's limit computed at run time (not a graph input) is a float
    # the artifact's sizes cannot read.
    save(tmp_path / "m.onnx", [helper.make_node("Add", ["a", "b"], ["l"]),
                               helper.make_node("Range", ["a", "l", "c"], ["y"], name="r")],
         [vi("a", [], TensorProto.FLOAT), vi("b", [], TensorProto.FLOAT),
          vi("c", [], TensorProto.FLOAT)], [vi("y", [None], TensorProto.FLOAT)])
    proc = tool("hydra-compile", tmp_path / "m.onnx", "-o", tmp_path / "m.hydra")
    assert proc.returncode == 1
    assert ("node 'r' (Range): not supported: Range on values known only at run time "
            "that are neither integer scalars nor float scalars given as graph inputs "
            "(all three)") in proc.stderr
