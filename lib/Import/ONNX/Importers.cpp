//===- Importers.cpp - the table of node importers ------------------------===//

#include "GraphImporter.h"

using namespace mlir::hydra::onnx_import;

void registerBasicImporters(ImporterTable &onnx);
void registerOrdinaryImporters(ImporterTable &onnx);
void registerElementwiseImporters(ImporterTable &onnx);
void registerMathImporters(ImporterTable &onnx);
void registerSelectionImporters(ImporterTable &onnx);
void registerScatterImporters(ImporterTable &onnx);
void registerContractionImporters(ImporterTable &onnx);
void registerRotaryImporters(ImporterTable &onnx);
void registerIndexingImporters(ImporterTable &onnx);
void registerAttentionImporters(ImporterTable &onnx, ImporterTable &hydra);
void registerFoldOnlyOps(ImporterTable &onnx);
void registerSymbolicImporters(ImporterTable &onnx);

namespace {
struct Tables {
  ImporterTable onnx, hydra;
  Tables() {
    registerBasicImporters(onnx);
    registerOrdinaryImporters(onnx);
    registerElementwiseImporters(onnx);
    registerMathImporters(onnx);
    registerSelectionImporters(onnx);
    registerScatterImporters(onnx);
    registerContractionImporters(onnx);
    registerRotaryImporters(onnx);
    registerIndexingImporters(onnx);
    registerAttentionImporters(onnx, hydra);
    registerFoldOnlyOps(onnx);
    registerSymbolicImporters(onnx);
  }
};
const Tables &tables() {
  static const Tables t;
  return t;
}
} // namespace

const ImporterTable &mlir::hydra::onnx_import::defaultDomainImporters() {
  return tables().onnx;
}

const ImporterTable &mlir::hydra::onnx_import::hydraDomainImporters() {
  return tables().hydra;
}
