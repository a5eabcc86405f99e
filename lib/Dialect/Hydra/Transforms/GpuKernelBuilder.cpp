//===- GpuKernelBuilder.cpp - block-level code of GPU kernels -------------===//

#include "GpuKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::hydra;

GpuKernelBuilder::GpuKernelBuilder(KernelBuilder &kb, int64_t blockSize)
    : kb(kb), blockSize(blockSize) {}

void GpuKernelBuilder::begin() {
  OpBuilder &b = kb.builder();
  thread = gpu::ThreadIdOp::create(b, kb.getLoc(), gpu::Dimension::x);
  lane = kb.remConst(thread, kWarpSize);
  warp = kb.divConst(thread, kWarpSize);
}

void GpuKernelBuilder::barrier() {
  gpu::BarrierOp::create(kb.builder(), kb.getLoc());
}

Value GpuKernelBuilder::i32(int64_t v) {
  return arith::ConstantIntOp::create(kb.builder(), kb.getLoc(), v, 32);
}

Value GpuKernelBuilder::shuffleIdx(Value value, Value srcLane) {
  OpBuilder &b = kb.builder();
  Value src = arith::IndexCastOp::create(b, kb.getLoc(), b.getI32Type(),
                                         srcLane);
  return gpu::ShuffleOp::create(b, kb.getLoc(), value, src, i32(kWarpSize),
                                gpu::ShuffleMode::IDX)
      .getShuffleResult();
}

Value GpuKernelBuilder::butterfly(Value value, bool max, int64_t lanes) {
  OpBuilder &b = kb.builder();
  for (int64_t offset = lanes / 2; offset > 0; offset /= 2) {
    Value other = gpu::ShuffleOp::create(b, kb.getLoc(), value, i32(offset),
                                         i32(kWarpSize), gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    value = max ? kb.maxf(value, other) : kb.addf(value, other);
  }
  return value;
}

Value GpuKernelBuilder::warpSum(Value value) {
  return butterfly(value, false, kWarpSize);
}
Value GpuKernelBuilder::warpMax(Value value) {
  return butterfly(value, true, kWarpSize);
}
Value GpuKernelBuilder::quadSum(Value value) {
  return butterfly(value, false, 4);
}
Value GpuKernelBuilder::quadMax(Value value) {
  return butterfly(value, true, 4);
}

Value GpuKernelBuilder::shared(ArrayRef<int64_t> shape, Type elementType) {
  OpBuilder &b = kb.builder();
  auto space = gpu::AddressSpaceAttr::get(b.getContext(),
                                          gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get(shape,
                              elementType ? elementType : b.getF32Type(),
                              MemRefLayoutAttrInterface{}, space);
  sharedBytes_ += type.getNumElements() * type.getElementTypeBitWidth() / 8;
  return memref::AllocOp::create(b, kb.getLoc(), type);
}

void GpuKernelBuilder::fill(Value tile, int64_t rows, int64_t cols,
                            function_ref<Value(Value r, Value c)> element) {
  kb.loop(thread, kb.index(rows * cols), kb.index(blockSize), [&](Value e) {
    Value r = kb.divConst(e, cols), c = kb.remConst(e, cols);
    kb.store(element(r, c), tile, {r, c});
  });
}

Value GpuKernelBuilder::lookup(ArrayRef<bool> table, Value n) {
  SmallVector<int64_t> asIndex(table.begin(), table.end());
  OpBuilder &b = kb.builder();
  return arith::CmpIOp::create(b, kb.getLoc(), arith::CmpIPredicate::ne,
                               kb.selectFrom(asIndex, n), kb.index(0));
}
