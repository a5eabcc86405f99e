//===- HydraDialect.cpp - hydra dialect registration ----------------------===//

#include "hydra/Dialect/Hydra/IR/Hydra.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::hydra;

#include "hydra/Dialect/Hydra/IR/HydraDialect.cpp.inc"
#include "hydra/Dialect/Hydra/IR/HydraEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "hydra/Dialect/Hydra/IR/HydraAttrs.cpp.inc"

void HydraDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "hydra/Dialect/Hydra/IR/HydraAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "hydra/Dialect/Hydra/IR/HydraOps.cpp.inc"
      >();
}
