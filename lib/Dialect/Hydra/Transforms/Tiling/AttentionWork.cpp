//===- AttentionWork.cpp - what the attention kernels compute and move ----===//

#include "Tiling/AttentionTiling.h"
#include "Tiling/WorkEstimate.h"

using namespace mlir;
using namespace mlir::hydra;

static double bytesPer(Value memref) {
  return double(cast<MemRefType>(memref.getType()).getElementTypeBitWidth()) /
         8.0;
}

void hydra::emitFullAttentionWork(KernelBuilder &kb, FullAttentionOp op,
                                  int64_t rowsPerIteration) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  int64_t dk = cast<MemRefType>(q.getType()).getDimSize(3);
  int64_t dv = cast<MemRefType>(v.getType()).getDimSize(3);
  double heads = double(op.getHeads().size());
  Value b = kb.dim(q, 0), s = kb.dim(q, 2), t = kb.dim(k, 2);
  WorkEstimate work;
  // The keys a query row visits, summed over `rows` rows of `lead`: T a
  // row; causally about S/2 (aligned at the start) or T − S/2 (at the end).
  auto visited = [&](auto add, double c, Value rows) {
    if (!op.getCausal()) {
      add(c, SmallVector<Value>{b, rows, t});
    } else if (op.getEndAligned()) {
      add(c, SmallVector<Value>{b, rows, t});
      add(-0.5 * c, SmallVector<Value>{b, rows, s});
    } else {
      add(0.5 * c, SmallVector<Value>{b, rows, s});
    }
  };
  auto flops = [&](double c, ArrayRef<Value> f) { work.flops(c, f); };
  auto bytes = [&](double c, ArrayRef<Value> f) { work.bytes(c, f); };
  visited(flops, 2.0 * heads * double(dk + dv), s);
  // Q read and O written once; K and V once per iteration's rows, for
  // ceil(S / rows) ≤ S / rows + 1 iterations (a decode step's one
  // iteration reads them all).
  work.bytes(
      heads * (double(dk) * bytesPer(q) + double(dv) * bytesPer(op.getInit())),
      {b, s});
  double keyBytes =
      heads * (double(dk) * bytesPer(k) + double(dv) * bytesPer(v));
  visited(bytes, keyBytes / double(rowsPerIteration), s);
  visited(bytes, keyBytes, kb.index(1));
  if (Value mask = op.getMask())
    visited(bytes, heads * bytesPer(mask), s);
  work.emit(kb.builder(), kb.getLoc());
}

void hydra::emitCombineWork(KernelBuilder &kb, FullAttentionOp op,
                            Value partials) {
  // A few FLOPs and the partials' bytes per row and split, sized by the
  // partials' dims (which the artifact traces to symbols).
  int64_t dv = cast<MemRefType>(op.getValue().getType()).getDimSize(3);
  double heads = double(op.getHeads().size());
  WorkEstimate work;
  SmallVector<Value> sizes = {kb.dim(partials, 0), kb.dim(partials, 2),
                              kb.dim(partials, 3)};
  work.flops(heads * 3.0 * double(dv), sizes);
  work.bytes(heads * 4.0 * double(dv + 2), sizes);
  work.emit(kb.builder(), kb.getLoc());
}

void hydra::emitLinearAttentionWork(KernelBuilder &kb, LinearAttentionOp op,
                                    double flopsPerStep) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  int64_t dk = cast<MemRefType>(q.getType()).getDimSize(3);
  int64_t dv = cast<MemRefType>(v.getType()).getDimSize(3);
  double heads = double(op.getHeads().size());
  Value b = kb.dim(q, 0), t = kb.dim(k, 2);
  WorkEstimate work;
  work.flops(heads * flopsPerStep, {b, t});
  // Each listed head reads its q, k, v rows and gates once, writes o once.
  double perStep = double(dk) * (bytesPer(q) + bytesPer(k)) +
                   double(dv) * (bytesPer(v) + bytesPer(op.getInit()));
  if (Value decay = op.getDecay())
    perStep += bytesPer(decay) *
               (cast<MemRefType>(decay.getType()).getRank() == 4 ? dk : 1);
  if (Value beta = op.getBeta())
    perStep += bytesPer(beta);
  work.bytes(heads * perStep, {b, t});
  for (Value state : {op.getInitialState(), op.getFinalStateInit()})
    if (state)
      work.bytesOf(kb.builder(), kb.getLoc(), state);
  work.emit(kb.builder(), kb.getLoc());
}
