//===- AttentionWork.cpp - what the attention kernels compute and move ----===//

#include "AttentionTiling.h"
#include "WorkEstimate.h"

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
  // Causal attention visits about half of the (query, key) pairs.
  double pairs = op.getCausal() ? 0.5 : 1.0;
  Value b = kb.dim(q, 0), s = kb.dim(q, 2), t = kb.dim(k, 2);
  WorkEstimate work;
  work.flops(2.0 * heads * double(dk + dv) * pairs, {b, s, t});
  // Q read and O written once; K and V once per iteration's query rows.
  work.bytes(heads * (double(dk) * bytesPer(q) +
                      double(dv) * bytesPer(op.getInit())),
             {b, s});
  work.bytes(heads * pairs *
                 (double(dk) * bytesPer(k) + double(dv) * bytesPer(v)) /
                 double(rowsPerIteration),
             {b, s, t});
  if (Value mask = op.getMask())
    work.bytes(heads * pairs * bytesPer(mask), {b, s, t});
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
