//===- BufferizableOpInterfaceImpl.cpp - bufferize hydra part ops ---------===//
//
// The part ops are destination-style, so bufferization is a rebuild of the
// same op on buffers: inputs are read, `init` is written in place.
//
//===----------------------------------------------------------------------===//

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {
template <typename OpTy>
struct PathOpInterface
    : public DstBufferizableOpInterfaceExternalModel<PathOpInterface<OpTy>,
                                                     OpTy> {
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto pathOp = cast<OpTy>(op);
    SmallVector<Value> buffers;
    for (Value operand : op->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    SmallVector<Value> initBuffers;
    for (OpOperand &init : pathOp.getDpsInitsMutable())
      initBuffers.push_back(buffers[init.getOperandNumber()]);
    rewriter.setInsertionPoint(op);
    OperationState bufferState(op->getLoc(), op->getName(), buffers,
                               /*types=*/TypeRange(), op->getAttrs());
    rewriter.create(bufferState);
    replaceOpWithBufferizedValues(rewriter, op, initBuffers);
    return success();
  }
};
} // namespace

void mlir::hydra::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, hydra::HydraDialect *) {
    FullAttentionOp::attachInterface<PathOpInterface<FullAttentionOp>>(*ctx);
    LinearAttentionOp::attachInterface<PathOpInterface<LinearAttentionOp>>(
        *ctx);
  });
}
