//===- Hydra.h - hydra dialect --------------------------------*- C++ -*-===//
//
// The one header users of the hydra dialect include.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_DIALECT_HYDRA_IR_HYDRA_H
#define HYDRA_DIALECT_HYDRA_IR_HYDRA_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "hydra/Dialect/Hydra/IR/HydraDialect.h.inc"
#include "hydra/Dialect/Hydra/IR/HydraEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "hydra/Dialect/Hydra/IR/HydraAttrs.h.inc"

#define GET_OP_CLASSES
#include "hydra/Dialect/Hydra/IR/HydraOps.h.inc"

namespace mlir::hydra {
/// The unit attribute that marks a func.func as a kernel for hydra.launch.
inline constexpr llvm::StringLiteral kKernelAttrName = "hydra.kernel";
/// On a kernel (and the scf.forall it comes from): the kernel is the code
/// of one GPU block of this many threads (hydra-tile-attention-gpu).
inline constexpr llvm::StringLiteral kBlockSizeAttrName = "hydra.block_size";

/// A block kernel's shared (workgroup) buffers lie in the order they are
/// allocated, each from a 16-byte boundary (cp.async and ldmatrix address
/// 16-byte rows; ptxas lays out `.shared .align 16` the same way): the
/// start of a buffer allocated after `end` bytes of them.
inline constexpr int64_t kSharedAlignment = 16;
inline int64_t sharedBufferStart(int64_t end) {
  return (end + kSharedAlignment - 1) / kSharedAlignment * kSharedAlignment;
}

/// The operand value and dim whose size dim `axis` of a hydra op's result
/// has (hybrid_attention: [B, H, S] of the query, Dv of the value;
/// rms_norm: its input's), for SizeTracer; nothing for other ops.
std::optional<std::pair<Value, int64_t>> hydraResultDim(OpResult result,
                                                        int64_t axis);

/// Registers the external models (bufferization) of hydra ops.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace mlir::hydra

#endif // HYDRA_DIALECT_HYDRA_IR_HYDRA_H
