//===- Importers.cpp - the table of node importers ------------------------===//

#include "GraphImporter.h"

using namespace mlir::hydra::onnx_import;

void registerBasicImporters(std::map<std::string, NodeImporter> &onnx);
void registerOrdinaryImporters(std::map<std::string, NodeImporter> &onnx);
void registerElementwiseImporters(std::map<std::string, NodeImporter> &onnx);
void registerIndexingImporters(std::map<std::string, NodeImporter> &onnx);
void registerAttentionImporters(std::map<std::string, NodeImporter> &onnx,
                                std::map<std::string, NodeImporter> &hydra);

namespace {
struct Tables {
  std::map<std::string, NodeImporter> onnx, hydra;
  Tables() {
    registerBasicImporters(onnx);
    registerOrdinaryImporters(onnx);
    registerElementwiseImporters(onnx);
    registerIndexingImporters(onnx);
    registerAttentionImporters(onnx, hydra);
  }
};
const Tables &tables() {
  static const Tables t;
  return t;
}
} // namespace

const std::map<std::string, NodeImporter> &
mlir::hydra::onnx_import::defaultDomainImporters() {
  return tables().onnx;
}

const std::map<std::string, NodeImporter> &
mlir::hydra::onnx_import::hydraDomainImporters() {
  return tables().hydra;
}
