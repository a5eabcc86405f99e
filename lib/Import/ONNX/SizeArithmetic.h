//===- SizeArithmetic.h - index arithmetic the artifact can say -*- C++ -*-===//
//
// Sizes computed at run time are index values built from tensor.dim and,
// for shapes, splits and axes given as graph inputs, from elements of
// those inputs. The compiler traces every such value to an expression the
// artifact evaluates per call (sums, products, floor and ceil divisions,
// min, max and element reads), so the importer writes its size arithmetic
// with those operations only: a comparison becomes 0/1 through min/max,
// a select a product with it. Constants fold, and min/max go away where
// the tracer proves one side the smaller.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_LIB_IMPORT_ONNX_SIZEARITHMETIC_H
#define HYDRA_LIB_IMPORT_ONNX_SIZEARITHMETIC_H

#include "GraphImporter.h"

#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include <map>

namespace mlir::hydra::onnx_import {

enum class Arith { Add, Sub, Mul, Div, Mod, Max, Min };

/// a op c on sizes: folded when both are constants (the folder's integer
/// semantics), else index arithmetic (sizes are non-negative, where
/// truncating and flooring division and remainder agree).
OpFoldResult combine(OpBuilder &b, Location loc, Arith k, OpFoldResult a,
                     OpFoldResult c);

/// A tracer over the graph inputs' dims, for comparing sizes: dims of one
/// dim_param are one symbol.
SizeTracer importTracer(GraphImporter &gi,
                        std::map<std::pair<unsigned, unsigned>, unsigned> &ids);

/// Size arithmetic for one node.
class BoundArithmetic {
public:
  BoundArithmetic(GraphImporter &gi, const onnx::NodeProto &node);

  /// Whether f ≤ g for every input size and value.
  bool atMost(OpFoldResult f, OpFoldResult g);
  /// Whether f depends on an element read from data (so may be any
  /// integer; sizes computed from input dims are taken to be sizes).
  bool readsData(OpFoldResult f);
  OpFoldResult min(OpFoldResult f, OpFoldResult g);
  OpFoldResult max(OpFoldResult f, OpFoldResult g);
  OpFoldResult add(OpFoldResult f, OpFoldResult g);
  OpFoldResult sub(OpFoldResult f, OpFoldResult g);
  OpFoldResult mul(OpFoldResult f, OpFoldResult g);
  /// ⌊f / g⌋ for g > 0, also for a negative f (a value read from data).
  OpFoldResult floorDiv(OpFoldResult f, OpFoldResult g);
  /// ⌈f / g⌉ for g > 0.
  OpFoldResult ceilDiv(OpFoldResult f, OpFoldResult g);
  OpFoldResult index(int64_t v);

  /// 1 if f < 0, else 0.
  OpFoldResult negative(OpFoldResult f);
  /// 1 if f == 0, else 0.
  OpFoldResult isZero(OpFoldResult f);
  /// 1 if f == g, else 0.
  OpFoldResult equal(OpFoldResult f, OpFoldResult g);
  /// a if c (0 or 1) is 1, else b.
  OpFoldResult select(OpFoldResult c, OpFoldResult a, OpFoldResult b);

  /// ONNX's reading of a Slice bound `v` on an axis of size `dim`: negative
  /// counts from the end, then clamped to [0, dim].
  OpFoldResult bound(OpFoldResult v, OpFoldResult dim);

  /// Requires f == g at run time: nothing when both are one constant, an
  /// error naming the node when they are two, else a hydra.size_check
  /// whose failure reads "node 'N' (Op): <what>".
  LogicalResult require(OpFoldResult f, OpFoldResult g, const Twine &what);
  /// An import error naming the node.
  LogicalResult fail(const Twine &what);
  /// Requires f ≥ g at run time (as max(f, g) == f).
  LogicalResult requireAtLeast(OpFoldResult f, OpFoldResult g,
                               const Twine &what);

private:
  FailureOr<AffineExpr> expr(OpFoldResult f);

  GraphImporter &gi_;
  const onnx::NodeProto &node_;
  OpBuilder &b_;
  Location loc_;
  std::map<std::pair<unsigned, unsigned>, unsigned> ids_;
  SizeTracer tracer_;
};

/// Whether `v` is a graph input (an argument of the imported function),
/// whose data the artifact and the kernels may read per call.
bool isGraphInput(Value v);

/// The elements of input `i` read at run time, as index values: an integer
/// graph input of rank ≤ 1 and at most 64 elements (a shape, split sizes,
/// axes or bounds the model takes as an input); nothing for anything else.
std::optional<SmallVector<OpFoldResult>>
dataElements(GraphImporter &gi, const onnx::NodeProto &node, int i);

} // namespace mlir::hydra::onnx_import

#endif // HYDRA_LIB_IMPORT_ONNX_SIZEARITHMETIC_H
