//===- GpuKernelBuilder.cpp - block-level code of GPU kernels -------------===//

#include "Gpu/GpuKernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

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
  Value src =
      arith::IndexCastOp::create(b, kb.getLoc(), b.getI32Type(), srcLane);
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
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get(shape, elementType ? elementType : b.getF32Type(),
                              MemRefLayoutAttrInterface{}, space);
  sharedBytes_ = sharedBufferStart(sharedBytes_) +
                 type.getNumElements() * type.getElementTypeBitWidth() / 8;
  return memref::AllocOp::create(b, kb.getLoc(), type);
}

void GpuKernelBuilder::fill(Value tile, int64_t rows, int64_t cols,
                            function_ref<Value(Value r, Value c)> element) {
  kb.loop(thread, kb.index(rows * cols), kb.index(blockSize), [&](Value e) {
    Value r = kb.divConst(e, cols), c = kb.remConst(e, cols);
    kb.store(element(r, c), tile, {r, c});
  });
}

static constexpr int64_t kCopyBytes = 16;

void GpuKernelBuilder::stageRows(
    Value tile, Value tileRow0, int64_t rows, int64_t cols, Value src,
    function_ref<SmallVector<Value>(Value r)> srcRow,
    function_ref<Value(Value r)> inRange, Value async) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Type e = cast<MemRefType>(tile.getType()).getElementType();
  // The zeros are chosen on the elements' bits: a 16-bit float select
  // would go through f32 on a host without such registers (the emulator).
  auto synchronous = [&] {
    Type bits = b.getIntegerType(e.getIntOrFloatBitWidth());
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(bits));
    kb.loop(thread, kb.index(rows * cols), kb.index(blockSize), [&](Value i) {
      Value r = kb.divConst(i, cols), c = kb.remConst(i, cols);
      SmallVector<Value> at = srcRow(r);
      at.back() = kb.add(at.back(), c);
      Value x = arith::BitcastOp::create(
          b, loc, bits, memref::LoadOp::create(b, loc, src, at));
      x = arith::SelectOp::create(b, loc, inRange(r), x, zero);
      kb.store(arith::BitcastOp::create(b, loc, e, x), tile,
               {kb.add(tileRow0, r), c});
    });
  };
  int64_t chunk = kCopyBytes * 8 / e.getIntOrFloatBitWidth();
  assert(cols % chunk == 0 && "rows of whole 16-byte chunks");
  int64_t perRow = cols / chunk;
  auto copies = [&] {
    kb.loop(thread, kb.index(rows * perRow), kb.index(blockSize), [&](Value i) {
      Value r = kb.divConst(i, perRow);
      Value c = kb.mul(kb.remConst(i, perRow), chunk);
      SmallVector<Value> at = srcRow(r);
      at.back() = kb.add(at.back(), c);
      Value elements = arith::SelectOp::create(b, loc, inRange(r),
                                               kb.index(chunk), kb.index(0));
      nvgpu::DeviceAsyncCopyOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tile,
          ValueRange{kb.add(tileRow0, r), c}, src, at, b.getIndexAttr(chunk),
          elements, b.getUnitAttr());
    });
  };
  if (!async)
    return synchronous();
  kb.ifThen(async, copies, synchronous);
}

// Commits and waits are NVVM's: nvgpu's take the copies' tokens, which
// cannot leave the loops and branches the copies are issued in.
void GpuKernelBuilder::commitCopies() {
  NVVM::CpAsyncCommitGroupOp::create(kb.builder(), kb.getLoc());
}

void GpuKernelBuilder::waitCopies(int64_t pending) {
  NVVM::CpAsyncWaitGroupOp::create(kb.builder(), kb.getLoc(),
                                   kb.builder().getI32IntegerAttr(pending));
}

Value GpuKernelBuilder::rowsAligned16(Value memref) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  auto type = cast<MemRefType>(memref.getType());
  int64_t bits = type.getElementTypeBitWidth();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (bits != 16 || failed(type.getStridesAndOffset(strides, offset)) ||
      strides.back() != 1)
    return Value();
  int64_t chunk = kCopyBytes * 8 / bits;
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  // Byte address of element 0, then each row stride, as a multiple of 16.
  Value misaligned =
      kb.remConst(kb.add(base, kb.mul(meta.getOffset(), bits / 8)), kCopyBytes);
  for (Value stride : meta.getStrides().drop_back())
    misaligned =
        arith::OrIOp::create(b, loc, misaligned, kb.remConst(stride, chunk));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, misaligned,
                               kb.index(0));
}

Value GpuKernelBuilder::lookup(ArrayRef<bool> table, Value n) {
  SmallVector<int64_t> asIndex(table.begin(), table.end());
  OpBuilder &b = kb.builder();
  return arith::CmpIOp::create(b, kb.getLoc(), arith::CmpIPredicate::ne,
                               kb.selectFrom(asIndex, n), kb.index(0));
}
