//===- TileContractions.cpp - the hydra-tile-contractions pass ------------===//
//
// Matrix products of ordinary operators (MatMul, Gemm, the projections of a
// transformer) as a packed, register-tiled, parallel loop nest, the way an
// optimized BLAS computes them:
//
//   forall (outer, m-block, n-block)          ← the runtime's thread pool
//     for k-block:
//       pack B[k-block, n-block] into [n-block / nr][k-block][nr]
//       for each nr-column panel, for each mr-row strip:
//         mr × nr accumulators in vector registers
//         for k in k-block: acc[r] += A[r, k] · packedB[k, 0:nr]
//
// The packed panel is contiguous whatever B's layout (a transposed weight,
// a broadcast batch), so the micro-kernel's loads are always unit-stride
// and the panel of one nr-column strip stays in L1 while every row strip of
// the block streams past it. A is read in place, one broadcast element a
// row per step. Rows beyond M read the last row and are never stored;
// columns beyond N are zero in the panel and masked at the store.
//
//===----------------------------------------------------------------------===//

#include "Tiling/KernelBuilder.h"
#include "Tiling/WorkEstimate.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

#include <cstring>

namespace mlir::hydra {
#define GEN_PASS_DEF_HYDRATILECONTRACTIONS
#include "hydra/Dialect/Hydra/Transforms/Passes.h.inc"
} // namespace mlir::hydra

using namespace mlir;
using namespace mlir::hydra;

namespace {
/// f32 lanes of one vector register (AVX-512).
constexpr int64_t kLanes = 16;
/// Products whose B has fewer elements than this (static K · N) stay loops.
constexpr int64_t kSmallB = 64 * 64;

struct TileSizes {
  int64_t mr, nr, mb, nb, kc;
  /// Steps ahead that the micro-kernel prefetches its panel rows.
  int64_t prefetch;
};

/// A bufferized product C[.., m, n] += A[.., m, k] · B[.., k, n].
struct Contraction {
  linalg::LinalgOp op;
  Value a, b, c;
  AffineMap aMap, bMap, cMap;
  unsigned m, n, k;
  /// Parallel loop dimensions other than m and n, outermost first.
  SmallVector<unsigned> outer;
  /// A `linalg.fill` of C just before the product, folded into it.
  linalg::FillOp fill;
  /// B is small (static K · N under kSmallB): rows of C one at a time with
  /// B read in place, no packing and no register-tiled strips.
  bool smallB = false;
  /// B packed at compile time (a constant weight): [ceil(N / nr)][K][nr],
  /// zero past N. Null when B is packed at run time or read in place.
  Value panels;
};

/// Where the micro-kernel's B rows come from: vector v (16 lanes from
/// column col0 + 16 v) of step k of the k-block, lanes past N masked.
using BRowSource = function_ref<Value(int64_t v, Value k, Value mask)>;

bool isF32MemRef(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getElementType().isF32();
}

/// Whether the body is out + in0 · in1 (in any operand order).
bool isMultiplyAccumulate(Block &body) {
  if (body.getNumArguments() != 3 ||
      !llvm::hasNItems(body.without_terminator(), 2))
    return false;
  auto mul = dyn_cast<arith::MulFOp>(&body.front());
  auto add =
      dyn_cast_or_null<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!mul || !add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return false;
  Value in0 = body.getArgument(0), in1 = body.getArgument(1),
        out = body.getArgument(2);
  bool mulOk = (mul.getLhs() == in0 && mul.getRhs() == in1) ||
               (mul.getLhs() == in1 && mul.getRhs() == in0);
  bool addOk = (add.getLhs() == out && add.getRhs() == mul.getResult()) ||
               (add.getRhs() == out && add.getLhs() == mul.getResult());
  return mulOk && addOk;
}

/// Loop dimensions an operand map reads; each result must be a dimension or
/// a constant (a broadcast batch index), no dimension twice.
std::optional<SmallVector<unsigned>> dimsOf(AffineMap map) {
  SmallVector<unsigned> dims;
  for (AffineExpr e : map.getResults()) {
    if (isa<AffineConstantExpr>(e))
      continue;
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d || llvm::is_contained(dims, d.getPosition()))
      return std::nullopt;
    dims.push_back(d.getPosition());
  }
  return dims;
}

/// Whether `operand`'s innermost dimension is loop `dim` with unit stride:
/// its rows along that loop are then contiguous vectors.
bool rowsAlong(OpBuilder &b, Value operand, AffineMap map, unsigned dim) {
  return cast<MemRefType>(operand.getType()).isLastDimUnitStride() &&
         map.getResult(map.getNumResults() - 1) == b.getAffineDimExpr(dim);
}

std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op->getNumRegions() != 1 ||
      !isMultiplyAccumulate(*op.getBlock()))
    return std::nullopt;
  Value c = op.getDpsInitOperand(0)->get();
  if (!isF32MemRef(op.getDpsInputOperand(0)->get()) ||
      !isF32MemRef(op.getDpsInputOperand(1)->get()) || !isF32MemRef(c))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (llvm::count(iterators, utils::IteratorType::reduction) != 1)
    return std::nullopt;
  Contraction con;
  con.op = op;
  con.k =
      llvm::find(iterators, utils::IteratorType::reduction) - iterators.begin();
  con.cMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto cType = cast<MemRefType>(c.getType());
  // C: every parallel dimension once, n last and contiguous.
  if (!con.cMap.isProjectedPermutation() ||
      con.cMap.getNumResults() != iterators.size() - 1 ||
      con.cMap.getNumResults() < 2 || !cType.isLastDimUnitStride())
    return std::nullopt;
  con.n = con.cMap.getDimPosition(con.cMap.getNumResults() - 1);
  con.m = con.cMap.getDimPosition(con.cMap.getNumResults() - 2);
  for (unsigned i = 0; i + 2 < con.cMap.getNumResults(); ++i)
    con.outer.push_back(con.cMap.getDimPosition(i));
  for (int64_t i = 0; i < 2; ++i) {
    OpOperand *operand = op.getDpsInputOperand(i);
    AffineMap map = op.getMatchingIndexingMap(operand);
    std::optional<SmallVector<unsigned>> dims = dimsOf(map);
    if (!dims || !llvm::is_contained(*dims, con.k))
      return std::nullopt;
    bool hasM = llvm::is_contained(*dims, con.m),
         hasN = llvm::is_contained(*dims, con.n);
    if (hasM && !hasN && !con.a) {
      con.a = operand->get();
      con.aMap = map;
    } else if (hasN && !hasM && !con.b) {
      con.b = operand->get();
      con.bMap = map;
    } else {
      return std::nullopt;
    }
  }
  con.c = c;
  if (!con.a || !con.b)
    return std::nullopt;
  // A B of fewer than kSmallB elements known at compile time (a tiny
  // model's projections) is read in place a row of C at a time: packing
  // would not pay, and the register-tiled strips would cost more compile
  // time than they save. Its plain loops would put the reduction
  // innermost, a column of B at a time, which does not vectorize.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!ShapedType::isDynamic(ranges[con.k]) &&
      !ShapedType::isDynamic(ranges[con.n]) &&
      ranges[con.k] * ranges[con.n] < kSmallB) {
    OpBuilder b(op);
    if (!rowsAlong(b, con.b, con.bMap, con.n))
      return std::nullopt;
    con.smallB = true;
  }
  // A zero fill of C right before, with nothing in between touching C,
  // folds into the first k-block when there is one (K static and > 0).
  int64_t depth = ranges[con.k];
  bool hasDepth = !ShapedType::isDynamic(depth) && depth > 0;
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (fill && hasDepth) {
    if (fill.hasPureBufferSemantics() &&
        fill.getDpsInitOperand(0)->get() == c &&
        matchPattern(fill.getDpsInputOperand(0)->get(), m_AnyZeroFloat()))
      con.fill = fill;
  }
  return con;
}

/// Index values of `map`'s results at the loop position `at`.
SmallVector<Value> indicesAt(KernelBuilder &kb, AffineMap map,
                             ArrayRef<Value> at) {
  SmallVector<Value> idx;
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      idx.push_back(at[d.getPosition()]);
    else
      idx.push_back(kb.index(cast<AffineConstantExpr>(e).getValue()));
  }
  return idx;
}

/// A mask of the first `count` lanes (clamped to [0, kLanes]).
Value laneMask(KernelBuilder &kb, Value count) {
  OpBuilder &b = kb.builder();
  Value clamped = kb.min(
      arith::MaxSIOp::create(b, kb.getLoc(), count, kb.index(0)), kLanes);
  return vector::CreateMaskOp::create(b, kb.getLoc(),
                                      VectorType::get({kLanes}, b.getI1Type()),
                                      ValueRange{clamped});
}

void emitContractionWork(KernelBuilder &kb, const Contraction &con,
                         ArrayRef<Value> sizes) {
  WorkEstimate work;
  work.flops(2.0, sizes);
  OpBuilder &b = kb.builder();
  for (Value v : {con.a, con.b, con.c})
    work.bytesOf(b, kb.getLoc(), v);
  work.emit(b, kb.getLoc());
}

/// kLanes elements of `memref` from `indices` on, the first `count` of
/// them (the rest zero; lanes past the end are never touched).
Value loadLanes(KernelBuilder &kb, Value memref, ValueRange indices,
                Value mask) {
  return kb.maskedLoadRow(memref, indices, mask, kLanes);
}

/// Packs B[k0 : k0 + klen, n0 : n0 + nlen] into packed[panel][k][0:nr],
/// zero beyond N. A B whose rows run along n is copied a vector at a time.
void packB(KernelBuilder &kb, const Contraction &con, const TileSizes &t,
           SmallVector<Value> at, Value packed, Value k0, Value klen, Value n0,
           Value nlen, Value nSize) {
  OpBuilder &b = kb.builder();
  AffineMap bMap = con.bMap;
  bool rowsAlongN = rowsAlong(b, con.b, bMap, con.n);
  Value panels = kb.ceilDivConst(nlen, t.nr);
  kb.loop(kb.index(0), panels, [&](Value p) {
    Value col0 = kb.add(n0, kb.mul(p, t.nr));
    kb.loop(kb.index(0), klen, [&](Value k) {
      at[con.k] = kb.add(k0, k);
      if (rowsAlongN) {
        for (int64_t v = 0; v < t.nr / kLanes; ++v) {
          Value col = kb.add(col0, kb.index(v * kLanes));
          at[con.n] = col;
          Value row = loadLanes(kb, con.b, indicesAt(kb, bMap, at),
                                laneMask(kb, kb.sub(nSize, col)));
          kb.storeRowAt(row, packed, ValueRange{p, k}, kb.index(v * kLanes));
        }
        return;
      }
      Value valid = kb.min(kb.sub(nSize, col0), t.nr);
      kb.loop(kb.index(0), valid, [&](Value j) {
        at[con.n] = kb.add(col0, j);
        kb.store(kb.load(con.b, indicesAt(kb, bMap, at)), packed,
                 ValueRange{p, k, j});
      });
      kb.loop(valid, kb.index(t.nr), [&](Value j) {
        kb.store(kb.f32(0.0f), packed, ValueRange{p, k, j});
      });
    });
  });
}

/// Copies A[row0 : row0 + mr, k0 : k0 + klen] into packed[r][k]. A's rows
/// lie a multiple of 4 KiB apart whenever K is a multiple of 1024: read in
/// place, a strip's mr rows would all fall in one L1 set and evict each
/// other. Rows along k are copied a vector at a time.
void packA(KernelBuilder &kb, const Contraction &con, const TileSizes &t,
           SmallVector<Value> at, Value packed, Value row0, Value k0,
           Value klen) {
  OpBuilder &b = kb.builder();
  AffineMap aMap = con.aMap;
  bool rowsAlongK = rowsAlong(b, con.a, aMap, con.k);
  for (int64_t r = 0; r < t.mr; ++r) {
    at[con.m] = kb.add(row0, kb.index(r));
    if (rowsAlongK) {
      kb.loop(kb.index(0), klen, kb.index(kLanes), [&](Value k) {
        at[con.k] = kb.add(k0, k);
        Value row = loadLanes(kb, con.a, indicesAt(kb, aMap, at),
                              laneMask(kb, kb.sub(klen, k)));
        kb.storeRowAt(row, packed, ValueRange{kb.index(r)}, k);
      });
      continue;
    }
    kb.loop(kb.index(0), klen, [&](Value k) {
      at[con.k] = kb.add(k0, k);
      kb.store(kb.load(con.a, indicesAt(kb, aMap, at)), packed,
               ValueRange{kb.index(r), k});
    });
  }
}

/// Prefetches row `row` + distance of `panel` in a [panels][K][nr] buffer
/// into L1, one request per cache line (prefetchRow clamps it to the
/// panel's last row).
/// The panel streams from L2 once per strip, and the hardware prefetcher
/// starts each one late: without this the micro-kernel waits on it.
void prefetchPanelRow(KernelBuilder &kb, const TileSizes &t, Value panels,
                      Value panel, Value row) {
  if (t.prefetch == 0)
    return;
  kb.prefetchRow(panels, {panel, kb.add(row, kb.index(t.prefetch))}, t.nr,
                 /*locality=*/3);
}

/// C[row0 : row0 + rows, col0 : col0 + nr] (+)= A[rows, k-block] · packed
/// panel (or B itself when `packed` is null): rows × nr accumulators held
/// in vector registers across the k-block. Every row is inside C; columns
/// past N are masked.
void microKernel(KernelBuilder &kb, const Contraction &con, const TileSizes &t,
                 SmallVector<Value> at, BRowSource bRow, Value packedA,
                 int64_t rows, Value row0, Value col0, Value k0, Value klen,
                 Value nSize, bool startFromZero,
                 function_ref<void(Value k)> prefetch = nullptr) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  int64_t nv = t.nr / kLanes;
  SmallVector<Value> rowIdx, masks;
  for (int64_t r = 0; r < rows; ++r)
    rowIdx.push_back(kb.add(row0, kb.index(r)));
  for (int64_t v = 0; v < nv; ++v)
    masks.push_back(
        laneMask(kb, kb.sub(nSize, kb.add(col0, kb.index(v * kLanes)))));
  auto cIndices = [&](Value row, int64_t v) {
    at[con.m] = row;
    at[con.n] = kb.add(col0, kb.index(v * kLanes));
    return indicesAt(kb, con.cMap, at);
  };
  // With the zero fill folded, the first k-block starts from zero (C's
  // bytes are loaded all the same and dropped: one micro-kernel, not two).
  Value fromZero;
  if (startFromZero)
    fromZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k0,
                                     kb.index(0));
  SmallVector<Value> acc;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < nv; ++v) {
      Value start = loadLanes(kb, con.c, cIndices(rowIdx[r], v), masks[v]);
      if (fromZero)
        start = kb.select(fromZero, kb.zeros(kLanes), start);
      acc.push_back(start);
    }
  acc = kb.loop(
      kb.index(0), klen, kb.index(1), acc, [&](Value k, ValueRange carried) {
        if (prefetch)
          prefetch(k);
        SmallVector<Value> bRows;
        for (int64_t v = 0; v < nv; ++v)
          bRows.push_back(bRow(v, k, masks[v]));
        at[con.k] = kb.add(k0, k);
        SmallVector<Value> next;
        for (int64_t r = 0; r < rows; ++r) {
          at[con.m] = rowIdx[r];
          Value aElt =
              kb.splat(packedA ? kb.load(packedA, ValueRange{kb.index(r), k})
                               : kb.load(con.a, indicesAt(kb, con.aMap, at)),
                       kLanes);
          for (int64_t v = 0; v < nv; ++v)
            next.push_back(vector::FMAOp::create(b, loc, aElt, bRows[v],
                                                 carried[r * nv + v]));
        }
        return next;
      });
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < nv; ++v)
      vector::MaskedStoreOp::create(b, loc, con.c, cIndices(rowIdx[r], v),
                                    masks[v], acc[r * nv + v]);
}

void tileContraction(RewriterBase &rewriter, Contraction con,
                     const TileSizes &t) {
  rewriter.setInsertionPoint(con.op);
  KernelBuilder kb(rewriter, con.op.getLoc());
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  SmallVector<Value> sizes;
  for (Range range : con.op.createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  Value mSize = sizes[con.m], nSize = sizes[con.n], kSize = sizes[con.k];
  Value outerCount;
  for (unsigned d : con.outer)
    outerCount = outerCount
                     ? arith::MulIOp::create(b, loc, outerCount, sizes[d])
                     : sizes[d];
  if (!outerCount)
    outerCount = kb.index(1);
  bool startFromZero = bool(con.fill);
  kb.forall(
      "matmul",
      {outerCount, kb.ceilDivConst(mSize, t.mb), kb.ceilDivConst(nSize, t.nb)},
      [&](ValueRange ivs) {
        emitContractionWork(kb, con, sizes);
        SmallVector<Value> at(sizes.size(), kb.index(0));
        Value rest = ivs[0];
        for (unsigned d : llvm::reverse(con.outer)) {
          at[d] = arith::RemUIOp::create(b, loc, rest, sizes[d]);
          rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
        }
        Value m0 = kb.mul(ivs[1], t.mb), n0 = kb.mul(ivs[2], t.nb);
        Value mlen = kb.min(kb.sub(mSize, m0), t.mb);
        Value nlen = kb.min(kb.sub(nSize, n0), t.nb);
        // Run-time packing: a block of B and a strip of A on the stack.
        bool packAtRunTime = !con.smallB && !con.panels;
        Value packed, packedA;
        if (packAtRunTime)
          packed = kb.buffer({t.nb / t.nr, t.kc, t.nr});
        if (!con.smallB)
          // Padded to whole vectors: the copy's last vector may pass klen.
          packedA = kb.buffer({t.mr, (t.kc + kLanes - 1) / kLanes * kLanes});
        // Where the strips read B: the compile-time panels, this block's
        // from panel n0 / nr and row k0 on, or the block packed just now.
        Value panelBuffer = con.panels ? con.panels : packed;
        Value firstPanel =
            con.panels ? kb.mul(ivs[2], t.nb / t.nr) : kb.index(0);
        kb.loop(kb.index(0), kSize, kb.index(t.kc), [&](Value k0) {
          Value klen = kb.min(kb.sub(kSize, k0), t.kc);
          // Vector v of a wide row of the block (lanes from n0 + 16 v) at
          // step k, from the compile-time panels: panel and lane offset of
          // its column (a panel past the last is never read: masked).
          auto fromPanels = [&](int64_t v, Value k, Value mask) {
            int64_t col = v * kLanes;
            Value panel = kb.add(firstPanel, kb.index(col / t.nr));
            return loadLanes(
                kb, con.panels,
                ValueRange{panel, kb.add(k0, k), kb.index(col % t.nr)}, mask);
          };
          // B's row along n read in place.
          auto inPlace = [&](Value col0) {
            return [&, col0](int64_t v, Value k, Value mask) {
              SmallVector<Value> bAt = at;
              bAt[con.k] = kb.add(k0, k);
              bAt[con.n] = kb.add(col0, kb.index(v * kLanes));
              return loadLanes(kb, con.b, indicesAt(kb, con.bMap, bAt), mask);
            };
          };
          // A strip of mr rows stays in L1 while the panels stream past;
          // the rows of a last, partial strip go one at a time (a decode
          // step's single row does no wasted work).
          Value panels = kb.ceilDivConst(nlen, t.nr);
          auto strips = [&](Value begin, Value end, int64_t rows) {
            kb.loop(begin, end, kb.index(rows), [&](Value i) {
              Value row0 = kb.add(m0, i);
              Value strip;
              if (rows == t.mr) {
                strip = packedA;
                packA(kb, con, t, at, strip, row0, k0, klen);
              }
              kb.loop(kb.index(0), panels, [&](Value p) {
                Value col0 = kb.add(n0, kb.mul(p, t.nr));
                Value panelK0 = con.panels ? k0 : kb.index(0);
                auto fromPacked = [&](int64_t v, Value k, Value) {
                  return kb.loadRowAt(
                      panelBuffer,
                      ValueRange{kb.add(firstPanel, p), kb.add(panelK0, k)},
                      kb.index(v * kLanes), kLanes);
                };
                microKernel(kb, con, t, at, fromPacked, strip, rows, row0, col0,
                            k0, klen, nSize, startFromZero, [&](Value k) {
                              prefetchPanelRow(kb, t, panelBuffer,
                                               kb.add(firstPanel, p),
                                               kb.add(panelK0, k));
                            });
              });
            });
          };
          Value full = kb.mul(kb.divConst(mlen, t.mr), t.mr);
          auto packedStrips = [&] {
            if (packAtRunTime)
              packB(kb, con, t, at, packed, k0, klen, n0, nlen, nSize);
            strips(kb.index(0), full, t.mr);
            strips(full, mlen, 1);
          };
          // Each row takes the whole block of columns at once: per k, one
          // contiguous run of B's row (or one of each of the block's
          // panels), nb / 16 accumulators (fewer when N is known to be
          // narrower).
          auto rowByRow = [&] {
            TileSizes wide = t;
            wide.nr = t.nb;
            SmallVector<int64_t> ranges = con.op.getStaticLoopRanges();
            if (!ShapedType::isDynamic(ranges[con.n]))
              wide.nr = std::min<int64_t>(
                  t.nb,
                  llvm::alignTo(std::max<int64_t>(ranges[con.n], 1), kLanes));
            auto inPlaceRow = inPlace(n0);
            BRowSource source =
                con.panels ? BRowSource(fromPanels) : BRowSource(inPlaceRow);
            kb.loop(kb.index(0), mlen, [&](Value i) {
              microKernel(kb, con, wide, at, source, Value(), 1, kb.add(m0, i),
                          n0, k0, klen, nSize, startFromZero);
            });
          };
          if (con.smallB) {
            rowByRow();
            return;
          }
          if (!con.panels && !rowsAlong(b, con.b, con.bMap, con.n)) {
            packedStrips();
            return;
          }
          // Fewer rows than a strip (a decode step): each element of B is
          // used by those rows only, so it is read where it is (in place,
          // or in the compile-time panels) rather than packed, copied and
          // read again.
          Value fewRows = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, mlen, kb.index(t.mr));
          kb.ifThen(fewRows, rowByRow, packedStrips);
        });
      });
  if (con.fill)
    rewriter.eraseOp(con.fill);
  rewriter.eraseOp(con.op);
}

/// The constant B reads when it is a whole rank-2 f32 weight of dense
/// contents, indexed by (k, n) or (n, k): it can be packed now.
memref::GlobalOp constantWeight(const Contraction &con,
                                SymbolTableCollection &symbols) {
  auto get = con.b.getDefiningOp<memref::GetGlobalOp>();
  if (!get || con.smallB || con.bMap.getNumResults() != 2)
    return {};
  auto global =
      symbols.lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
  if (!global || !global.getConstant() ||
      !global.getType().getLayout().isIdentity() ||
      !isa_and_nonnull<DenseElementsAttr>(global.getInitialValueAttr()))
    return {};
  for (AffineExpr e : con.bMap.getResults())
    if (!isa<AffineDimExpr>(e))
      return {};
  return global;
}

/// `f` rounded to the nearest bf16 (ties to even; NaN stays NaN), as its
/// bits. The same result as APFloat's conversion (which the importer uses
/// for single values) at a fraction of its cost: APFloat made a 55 M-weight
/// model's compile 13.6 → 17.3 s.
uint16_t toBF16Bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it a (quiet) NaN
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

/// A new constant holding `weight` as [ceil(N / nr)][K][nr] panels, zero
/// past N, in f32 or (`bf16`) rounded to bf16; `kFirst` says whether the
/// weight's first dimension is k.
memref::GlobalOp packPanels(OpBuilder &b, memref::GlobalOp weight, bool kFirst,
                            int64_t nr, bool bf16, SymbolTable &table) {
  auto value = cast<DenseElementsAttr>(weight.getInitialValueAttr());
  ArrayRef<int64_t> shape = weight.getType().getShape();
  int64_t kSize = kFirst ? shape[0] : shape[1];
  int64_t nSize = kFirst ? shape[1] : shape[0];
  int64_t numPanels = llvm::divideCeil(nSize, nr);
  std::vector<float> out(size_t(numPanels * kSize * nr), 0.0f);
  auto element = [&](int64_t k, int64_t n) -> float {
    int64_t flat = kFirst ? k * nSize + n : n * kSize + k;
    const char *raw = value.getRawData().data();
    float f;
    std::memcpy(&f, raw + (value.isSplat() ? 0 : flat) * sizeof(float),
                sizeof(float));
    return f;
  };
  for (int64_t n = 0; n < nSize; ++n)
    for (int64_t k = 0; k < kSize; ++k)
      out[size_t(((n / nr) * kSize + k) * nr + n % nr)] = element(k, n);
  Type elementType = bf16 ? Type(b.getBF16Type()) : Type(b.getF32Type());
  auto tensorType = RankedTensorType::get({numPanels, kSize, nr}, elementType);
  ArrayRef<char> raw(reinterpret_cast<const char *>(out.data()),
                     out.size() * sizeof(float));
  std::vector<uint16_t> narrow;
  if (bf16) {
    narrow.reserve(out.size());
    for (float f : out)
      narrow.push_back(toBF16Bits(f));
    raw = ArrayRef<char>(reinterpret_cast<const char *>(narrow.data()),
                         narrow.size() * sizeof(uint16_t));
  }
  auto data = DenseElementsAttr::getFromRawBuffer(tensorType, raw);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(weight);
  auto packed = memref::GlobalOp::create(
      b, weight.getLoc(),
      (weight.getSymName() + "_panels" + Twine(nr) + (bf16 ? "_bf16" : ""))
          .str(),
      b.getStringAttr("private"),
      MemRefType::get({numPanels, kSize, nr}, elementType), data,
      /*constant=*/true, /*alignment=*/b.getI64IntegerAttr(64));
  table.insert(packed); // renamed if the name is taken
  return packed;
}

struct HydraTileContractionsPass
    : public hydra::impl::HydraTileContractionsBase<HydraTileContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    TileSizes t{rowTile,     columnTile, rowBlock,
                columnBlock, depthBlock, prefetchDistance};
    auto fail = [&](StringRef what) {
      getOperation()->emitError() << "hydra-tile-contractions: " << what;
      signalPassFailure();
    };
    if (t.mr <= 0 || t.kc <= 0)
      return fail("'row-tile' and 'depth-block' must be positive");
    if (t.prefetch < 0)
      return fail("'prefetch-distance' must not be negative");
    if (weightType != "f32" && weightType != "bf16")
      return fail("'weight-type' must be f32 or bf16, not '" + weightType +
                  "'");
    bool bf16Weights = weightType == "bf16";
    if (t.nr <= 0 || t.nr % kLanes != 0)
      return fail("'column-tile' must be a positive multiple of 16");
    if (t.mb <= 0 || t.mb % t.mr != 0 || t.nb <= 0 || t.nb % t.nr != 0)
      return fail("'row-block' and 'column-block' must be positive "
                  "multiples of 'row-tile' and 'column-tile'");
    ModuleOp module = getOperation();
    SmallVector<Contraction> found;
    module.walk([&](func::FuncOp func) {
      if (func->hasAttr(kKernelAttrName))
        return;
      func.walk([&](linalg::LinalgOp op) {
        if (std::optional<Contraction> con = matchContraction(op))
          found.push_back(*con);
      });
    });
    // Constant weights are packed now, once each (per orientation), the
    // way a BLAS packs B at run time: the kernels read the panels and copy
    // nothing, and a decode step streams each panel front to back.
    SymbolTableCollection symbols;
    SymbolTable &table = symbols.getSymbolTable(module);
    DenseMap<std::pair<Operation *, unsigned>, memref::GlobalOp> packedOf;
    SetVector<Operation *> weights;
    OpBuilder builder(&getContext());
    for (Contraction &con : found) {
      memref::GlobalOp weight = constantWeight(con, symbols);
      if (!weight)
        continue;
      bool kFirst = con.bMap.getDimPosition(0) == con.k;
      memref::GlobalOp &packed = packedOf[{weight, unsigned(kFirst)}];
      if (!packed)
        packed = packPanels(builder, weight, kFirst, t.nr, bf16Weights, table);
      builder.setInsertionPoint(con.op);
      con.panels = memref::GetGlobalOp::create(
          builder, con.op.getLoc(), packed.getType(), packed.getSymName());
      weights.insert(weight);
    }
    IRRewriter rewriter(&getContext());
    for (Contraction &con : found) {
      Value b = con.b;
      tileContraction(rewriter, con, t);
      if (con.panels && b.use_empty())
        rewriter.eraseOp(b.getDefiningOp());
    }
    // A weight read only as panels now is not kept twice.
    for (Operation *weight : weights)
      if (SymbolTable::symbolKnownUseEmpty(weight, module))
        weight->erase();
  }
};
} // namespace
