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
      : kb(kb), b(kb.builder()), loc(kb.getLoc()), e(e), lane(lane),
        g(kb.divConst(lane, 4)), t(kb.remConst(lane, 4)) {}

  KernelBuilder &kb;
  OpBuilder &b;
  Location loc;
  Type e;
  Value lane;
  Value g, t; // lane / 4, lane % 4

  /// `n` (1, 2 or 4) 8 × 8 matrices of a shared tile in one ldmatrix: lane
  /// L gives the row address of row L % 8 of matrix L / 8, at
  /// `rowAt(matrix, row)` and column `colAt(matrix)`. Each lane receives,
  /// of matrix i, the pair at row L / 4, columns 2 (L % 4) .. + 1 — or,
  /// with `transpose`, at column L / 4, rows 2 (L % 4) and 2 (L % 4) + 1 —
  /// as row i of the result (PTX ISA, "ldmatrix").
  Value ldmatrix(Value tile, int64_t n, bool transpose,
                 function_ref<Value(Value matrix, Value row)> rowAt,
                 function_ref<Value(Value matrix)> colAt) {
    Value lanes = kb.remConst(lane, 8 * n); // lanes past 8n repeat addresses
    Value matrix = kb.divConst(lanes, 8), row = kb.remConst(lanes, 8);
    return nvgpu::LdMatrixOp::create(
        b, loc, VectorType::get({n, 2}, e), tile,
        ValueRange{rowAt(matrix, row), colAt(matrix)}, transpose, uint32_t(n));
  }
  /// Row pair (2i, 2i + 1) of an ldmatrix result: one B fragment.
  Value fragmentOf(Value matrices, int64_t i) {
    return stack({vector::ExtractOp::create(b, loc, matrices, 2 * i),
                  vector::ExtractOp::create(b, loc, matrices, 2 * i + 1)});
  }
  /// B fragments of Bᵀ stored row-major (B[k][n] = tile[n0 + n][k0 + k]) for
  /// `steps` (1 or 2) consecutive k-steps of 16 from k0, in one ldmatrix.
  SmallVector<Value> loadBTransposedSteps(Value tile, Value n0, Value k0,
                                          int64_t steps) {
    Value matrices = ldmatrix(
        tile, 2 * steps, /*transpose=*/false,
        [&](Value, Value row) { return kb.add(n0, row); },
        [&](Value matrix) { return kb.add(k0, kb.mul(matrix, 8)); });
    SmallVector<Value> frags;
    for (int64_t s = 0; s < steps; ++s)
      frags.push_back(fragmentOf(matrices, s));
    return frags;
  }
  /// B fragments of B stored row-major (B[k][n] = tile[k0 + k][n0 + n]) for
  /// `tiles` (1 or 2) consecutive n8 tiles from n0, in one ldmatrix.trans.
  SmallVector<Value> loadBTiles(Value tile, Value k0, Value n0, int64_t tiles) {
    Value matrices = ldmatrix(
        tile, 2 * tiles, /*transpose=*/true,
        [&](Value matrix, Value row) {
          return kb.add(kb.add(k0, row), kb.mul(kb.remConst(matrix, 2), 8));
        },
        [&](Value matrix) {
          return kb.add(n0, kb.mul(kb.divConst(matrix, 2), 8));
        });
    SmallVector<Value> frags;
    for (int64_t n = 0; n < tiles; ++n)
      frags.push_back(fragmentOf(matrices, n));
    return frags;
  }

  /// acc[n] += a · B for every n8 tile n of `acc`, B[k][m] = tile[k0 + k][8n
  /// + m] (row-major, rows 16-byte aligned): B's fragments by
  /// ldmatrix.trans, two n8 tiles an instruction.
  void accumulateTiles(Value a, Value tile, Value k0,
                       MutableArrayRef<Value> acc) {
    int64_t n = acc.size();
    for (int64_t nt = 0; nt < n; nt += 2) {
      int64_t tiles = std::min<int64_t>(2, n - nt);
      SmallVector<Value> frags = loadBTiles(tile, k0, kb.index(nt * 8), tiles);
      for (int64_t i = 0; i < tiles; ++i)
        acc[nt + i] = mma(a, frags[i], acc[nt + i]);
    }
  }

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
  /// Column j (0 or 1) of this lane's pairs in n8 accumulator tile `nt`:
  /// 8 nt + 2t + j (the C layout above).
  Value accumulatorCol(int64_t nt, int64_t j) {
    return kb.add(kb.index(nt * 8 + j), kb.mul(t, 2));
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
  /// acc + Σ_s A_s · B_s, B_s rows [16s, 16s + 16) and columns [n0, n0 +
  /// 8) of a row-major tile of any float type (rounded to the operand
  /// type).
  Value accumulateRows(Value acc, ArrayRef<Value> aFrags, Value tile,
                       Value n0) {
    for (auto [s, a] : llvm::enumerate(aFrags))
      acc = mma(a, loadB(tile, kb.index(16 * s), n0), acc);
    return acc;
  }
  /// Σ_s A_s · Bᵀ: rows of the tile [n0, n0 + 8) as the 8 columns of B,
  /// the k-steps s of `aFrags` over the tile's columns 16s .. 16s + 15.
  Value productWithRows(ArrayRef<Value> aFrags, Value tile, Value n0) {
    Value acc = zerosC();
    for (auto [s, a] : llvm::enumerate(aFrags))
      acc = mma(a, loadBTransposed(tile, n0, kb.index(16 * s)), acc);
    return acc;
  }
  /// The same product with B's fragments loaded by ldmatrix, two k-steps
  /// an instruction: the tile's rows must start 16-byte aligned.
  Value productWithRowsLd(ArrayRef<Value> aFrags, Value tile, Value n0) {
    Value acc = zerosC();
    for (size_t s = 0; s < aFrags.size(); s += 2) {
      int64_t steps = std::min<int64_t>(2, aFrags.size() - s);
      SmallVector<Value> bFrags =
          loadBTransposedSteps(tile, n0, kb.index(16 * s), steps);
      for (int64_t i = 0; i < steps; ++i)
        acc = mma(aFrags[s + i], bFrags[i], acc);
    }
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
