//===- MmaFragments.h - mma.sync fragments of one warp ---------*- C++ -*-===//

#ifndef HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_MMAFRAGMENTS_H
#define HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_MMAFRAGMENTS_H

#include "Tiling/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::hydra {

/// Fragment helpers for one warp's mma.sync m16n8k16 with f32
/// accumulators; `e` is the operand element type (f16 or bf16). A lane
/// holds, with g = lane / 4 and t = lane % 4 (PTX ISA, "Matrix Fragments
/// for mma.m16n8k16 with floating point type"):
///   A (16 × 16, vector<4x2xe>): rows g, g + 8, g, g + 8 and columns
///     2t .. 2t + 1, 2t .. 2t + 1, 2t + 8 .., 2t + 8 ..
///   B (16 × 8, vector<2x2xe>): rows 2t .. 2t + 1 and 2t + 8 .., column g
///   C (16 × 8, vector<2x2xf32>): rows g and g + 8, columns 2t .. 2t + 1
struct MmaFragments {
  MmaFragments(KernelBuilder &kb, Type e, Value lane)
      : kb(kb), b(kb.builder()), loc(kb.getLoc()), e(e),
        g(kb.divConst(lane, 4)), t(kb.remConst(lane, 4)) {}

  KernelBuilder &kb;
  OpBuilder &b;
  Location loc;
  Type e;
  Value g, t; // lane / 4, lane % 4

  VectorType pair() { return VectorType::get({2}, e); }
  /// Two consecutive elements of a shared tile: tile[row, col .. col + 1].
  Value loadPair(Value tile, Value row, Value col) {
    return vector::LoadOp::create(b, loc, pair(), tile, ValueRange{row, col});
  }
  /// A vector of `rows` pairs.
  Value stack(ArrayRef<Value> pairs) {
    auto type = VectorType::get({int64_t(pairs.size()), 2}, e);
    Value acc = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getZeroAttr(e)));
    for (auto [i, p] : llvm::enumerate(pairs))
      acc = vector::InsertOp::create(b, loc, p, acc, int64_t(i));
    return acc;
  }
  Value zerosC() {
    auto type = VectorType::get({2, 2}, b.getF32Type());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f)));
  }
  Value mma(Value a, Value bFrag, Value c) {
    return nvgpu::MmaSyncOp::create(b, loc, a, bFrag, c,
                                    ArrayRef<int64_t>{16, 8, 16});
  }
  Value at(Value c, int64_t i, int64_t j) {
    return vector::ExtractOp::create(b, loc, c, ArrayRef<int64_t>{i, j});
  }
  Value set(Value c, Value x, int64_t i, int64_t j) {
    return vector::InsertOp::create(b, loc, x, c, ArrayRef<int64_t>{i, j});
  }
  /// The A fragment of rows [r0, r0 + 16) and cols [k0, k0 + 16) of a tile.
  Value loadA(Value tile, Value r0, Value k0) {
    return loadAWith(
        r0, k0, [&](Value row, Value col) { return loadPair(tile, row, col); });
  }
  /// The A fragment of rows [r0, r0 + 16) and columns [k0, k0 + 16) of a
  /// matrix read through `pairAt(row, col)`: elements (row, col) and
  /// (row, col + 1) as a pair of the operand type.
  Value loadAWith(Value r0, Value k0,
                  function_ref<Value(Value row, Value col)> pairAt) {
    Value row0 = kb.add(r0, g), row8 = kb.add(row0, kb.index(8));
    Value col0 = kb.add(k0, kb.mul(t, 2)), col8 = kb.add(col0, kb.index(8));
    return stack({pairAt(row0, col0), pairAt(row8, col0), pairAt(row0, col8),
                  pairAt(row8, col8)});
  }
  /// The B fragment of rows (k) [k0, k0 + 16) and columns (n) [n0, n0 + 8)
  /// of a matrix read through `at(k, n)` (an f32 or operand-type scalar).
  Value loadBWith(Value k0, Value n0,
                  function_ref<Value(Value k, Value n)> at) {
    Value col = kb.add(n0, g);
    Value k = kb.add(k0, kb.mul(t, 2));
    auto element = [&](int64_t dk) {
      Value x = at(kb.add(k, kb.index(dk)), col);
      return x.getType() == e ? x : arith::TruncFOp::create(b, loc, e, x);
    };
    auto pairOf = [&](Value x, Value y) {
      return vector::FromElementsOp::create(b, loc, pair(), ValueRange{x, y});
    };
    return stack(
        {pairOf(element(0), element(1)), pairOf(element(8), element(9))});
  }
  /// The B fragment of Bᵀ stored row-major: B[k][n] = tile[n0 + n][k0 + k].
  Value loadBTransposed(Value tile, Value n0, Value k0) {
    Value row = kb.add(n0, g);
    Value col0 = kb.add(k0, kb.mul(t, 2)), col8 = kb.add(col0, kb.index(8));
    return stack({loadPair(tile, row, col0), loadPair(tile, row, col8)});
  }
  /// The B fragment of B stored row-major: B[k][n] = tile[k0 + k][n0 + n].
  Value loadB(Value tile, Value k0, Value n0) {
    return loadBWith(k0, n0, [&](Value k, Value n) {
      return memref::LoadOp::create(b, loc, tile, ValueRange{k, n}).getResult();
    });
  }
  /// Σ_s A_s · Bᵀ: rows of the tile [n0, n0 + 8) as the 8 columns of B,
  /// the k-steps s of `aFrags` over the tile's columns 16s .. 16s + 15.
  Value productWithRows(ArrayRef<Value> aFrags, Value tile, Value n0) {
    Value acc = zerosC();
    for (auto [s, a] : llvm::enumerate(aFrags))
      acc = mma(a, loadBTransposed(tile, n0, kb.index(16 * s)), acc);
    return acc;
  }
  /// Two f32 values as a pair of the operand type.
  Value pairOf(Value x, Value y) {
    return vector::FromElementsOp::create(
        b, loc, pair(),
        ValueRange{arith::TruncFOp::create(b, loc, e, x),
                   arith::TruncFOp::create(b, loc, e, y)});
  }
  /// Two scalars of the operand type as a pair, put together as integers:
  /// a 16-bit float pair built from scalars goes through f32 (and a libgcc
  /// call) on a host without such registers, the GPU emulator's.
  Value pairOfBits(Value x, Value y) {
    Type bits = b.getI16Type();
    auto asBits = [&](Value v) {
      return arith::BitcastOp::create(b, loc, bits, v).getResult();
    };
    Value packed = vector::FromElementsOp::create(
        b, loc, VectorType::get({2}, bits), ValueRange{asBits(x), asBits(y)});
    return vector::BitCastOp::create(b, loc, pair(), packed);
  }
  /// Row i (0: g, 1: g + 8) of an accumulator as a pair of the operand
  /// type: two n8 accumulators side by side are one k16 A fragment.
  Value accumulatorPair(Value c, int64_t i) {
    return pairOf(at(c, i, 0), at(c, i, 1));
  }
};

} // namespace mlir::hydra

#endif // HYDRA_LIB_DIALECT_HYDRA_TRANSFORMS_GPU_MMAFRAGMENTS_H
