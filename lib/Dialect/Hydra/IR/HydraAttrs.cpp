//===- HydraAttrs.cpp - hydra attribute helpers ---------------------------===//

#include "hydra/Dialect/Hydra/IR/Hydra.h"

using namespace mlir;
using namespace mlir::hydra;

LogicalResult HeadMapAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  StringRef kinds) {
  if (kinds.empty())
    return emitError() << "head map must name at least one head";
  for (auto [i, c] : llvm::enumerate(kinds))
    if (c != 'F' && c != 'L')
      return emitError() << "head map entry " << i << " is '" << c
                         << "'; expected 'F' (full) or 'L' (linear)";
  return success();
}

static SmallVector<int64_t> headsOfKind(StringRef kinds, char kind) {
  SmallVector<int64_t> heads;
  for (auto [i, c] : llvm::enumerate(kinds))
    if (c == kind)
      heads.push_back(i);
  return heads;
}

SmallVector<int64_t> HeadMapAttr::getFullHeads() const {
  return headsOfKind(getKinds(), 'F');
}

SmallVector<int64_t> HeadMapAttr::getLinearHeads() const {
  return headsOfKind(getKinds(), 'L');
}

SmallVector<int64_t> HeadMapAttr::getKvHeads(char kind,
                                             int64_t numKvHeads) const {
  int64_t group = getNumHeads() / numKvHeads;
  SmallVector<int64_t> kvHeads;
  for (int64_t h : headsOfKind(getKinds(), kind))
    if (kvHeads.empty() || kvHeads.back() != h / group)
      kvHeads.push_back(h / group);
  return kvHeads;
}
