//===- ImportONNX.cpp - ONNX ModelProto → MLIR ----------------------------===//

#include "hydra/Import/ONNX/ImportONNX.h"

#include "GraphImporter.h"

#include "hydra/Compiler/PassManagerSetup.h"
#include "hydra/Dialect/Hydra/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/Path.h"

#include <limits>

using namespace mlir;
using namespace mlir::hydra;
using namespace mlir::hydra::onnx_import;

// IR 14 (onnx 1.23) adds element types only; the graph structure is
// unchanged.
static constexpr int64_t kMaxIrVersion = 14;

OwningOpRef<ModuleOp> mlir::hydra::importONNX(StringRef bytes, StringRef path,
                                              MLIRContext *context) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  onnx::ModelProto model;
  if (bytes.size() > size_t(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(bytes.data(), int(bytes.size()))) {
    emitError(fileLoc) << "not a valid ONNX model (protobuf parsing failed)";
    return nullptr;
  }
  if (model.ir_version() > kMaxIrVersion) {
    emitError(fileLoc) << "not supported: ONNX IR version "
                       << model.ir_version() << " (hydra reads up to "
                       << kMaxIrVersion << ")";
    return nullptr;
  }
  if (!model.has_graph()) {
    emitError(fileLoc) << "the model has no graph";
    return nullptr;
  }
  std::map<std::string, int64_t> opsets;
  for (const auto &o : model.opset_import())
    opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = path == kInMemoryModel ? "" : ".";
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  GraphImporter importer(context, dir, std::move(opsets));
  if (failed(importer.importGraph(model.graph(), *module)))
    return nullptr;
  return module;
}

LogicalResult mlir::hydra::raiseONNX(ModuleOp module) {
  // Clean-up after import folds the layout changes the importer made (head
  // splits and merges around each attention op), which the raising patterns
  // then look through.
  PassManager pm(module.getContext());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createHydraRaiseAttention());
  pm.addPass(createHydraRaiseHybrid());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (failed(setUpPassManager(pm)))
    return failure();
  return pm.run(module);
}
