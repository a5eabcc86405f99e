//===- ArtifactWriter.h - host programs → FlatBuffers artifact -*- C++ -*-===//

#ifndef HYDRA_LIB_COMPILER_ARTIFACTWRITER_H
#define HYDRA_LIB_COMPILER_ARTIFACTWRITER_H

#include "AttentionLayers.h"
#include "DimSymbols.h"
#include "hydra/Dialect/Hydra/Utils/SizeTracing.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "hydra_artifact_generated.h"

#include <map>
#include <string>

namespace mlir::hydra {

/// A tensor signature before it is written: name, dtype, and shape in
/// static sizes (>= 0) and size symbols (-(symbol + 1)).
struct Signature {
  std::string name;
  ::hydra_artifact::DType dtype;
  std::vector<int64_t> shape;
  bool operator==(const Signature &o) const {
    return name == o.name && dtype == o.dtype && shape == o.shape;
  }
  bool operator!=(const Signature &o) const { return !(*this == o); }
};

/// Sizes computed from the input sizes, each operation of them one derived
/// symbol after the `numBase` symbols the inputs bind (equal operations
/// share one).
class DerivedSymbols {
public:
  explicit DerivedSymbols(unsigned numBase = 0) : numBase_(numBase) {}
  /// A shape entry for `size` (an expression over the base symbols and
  /// `extrema`'s dims): the value when constant (failure if negative), else
  /// -(symbol + 1).
  FailureOr<int64_t> entry(AffineExpr size, ArrayRef<SizeTerm> terms);
  /// `size` as an operand: a constant or a symbol.
  ::hydra_artifact::SizeOperand operand(AffineExpr size,
                                        ArrayRef<SizeTerm> terms);
  unsigned numSymbols() const { return numBase_ + list_.size(); }
  const std::vector<::hydra_artifact::DerivedSymbol> &list() const {
    return list_;
  }

private:
  unsigned numBase_;
  ::hydra_artifact::SizeOperand derive(::hydra_artifact::SizeOp op,
                                       ::hydra_artifact::SizeOperand lhs,
                                       ::hydra_artifact::SizeOperand rhs);

  std::vector<::hydra_artifact::DerivedSymbol> list_;
  std::map<std::tuple<int, int, int64_t, int, int64_t>, unsigned> index_;
};

/// Builds an artifact (runtime/schema/hydra_artifact.fbs) from the host
/// functions that hydra-outline-kernels leaves and the compiled kernels.
class ArtifactWriter {
public:
  ArtifactWriter();

  /// Adds a host function: its signature (with `symbols` for dynamic
  /// sizes) and its program of launches. Fails with a diagnostic on any op
  /// a host program cannot hold.
  /// A function compiled for several devices is added once per device
  /// (same signature, one program each).
  LogicalResult addFunction(func::FuncOp host, const DimSymbols &symbols,
                            ::hydra_artifact::Device device);

  /// Records the cache pairs of function `name` (CachePairs.h).
  void setCaches(StringRef name,
                 std::vector<::hydra_artifact::CachePair> pairs) {
    caches_[name.str()] = std::move(pairs);
  }

  /// Records the attention ops of function `name` (AttentionLayers.h).
  void setAttentionLayers(StringRef name,
                          std::vector<AttentionLayerInfo> layers) {
    layers_[name.str()] = std::move(layers);
  }

  /// Adds code for one target; x86-64 code also records the CPU it was
  /// generated for and the ISA extensions it needs.
  void
  addExecutable(StringRef target, ::hydra_artifact::ExecutableFormat format,
                StringRef bytes,
                ArrayRef<flatbuffers::Offset<::hydra_artifact::KernelResources>>
                    resources = {},
                StringRef cpu = {}, ArrayRef<std::string> cpuFeatures = {});
  flatbuffers::FlatBufferBuilder &builder() { return fbb_; }

  /// Finishes the buffer and returns its bytes.
  std::string finish(StringRef sourceHash);

private:
  FailureOr<unsigned> constantIndex(Operation *getGlobal);
  flatbuffers::Offset<flatbuffers::Vector<
      flatbuffers::Offset<::hydra_artifact::TensorSignature>>>
  tables(ArrayRef<Signature> sigs);
  unsigned kernelIndex(func::FuncOp kernel, unsigned numBuffers,
                       ::hydra_artifact::Device device);

  /// A function's signature and its programs so far, and the symbols
  /// derived from its input sizes (shared by its programs).
  struct PendingFunction {
    std::string name;
    unsigned numSymbols;
    std::vector<Signature> inputs, outputs;
    std::vector<flatbuffers::Offset<::hydra_artifact::Program>> programs;
    DerivedSymbols derived;
    std::vector<::hydra_artifact::SizeCheck> checks;
    std::vector<std::string> checkNotes; // one per check
  };
  PendingFunction &pendingFor(func::FuncOp host, const DimSymbols &symbols);
  std::vector<PendingFunction> pending_;

  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<flatbuffers::Offset<::hydra_artifact::Kernel>> kernels_;
  std::vector<flatbuffers::Offset<::hydra_artifact::Constant>> constants_;
  std::vector<flatbuffers::Offset<::hydra_artifact::Executable>> executables_;
  std::map<std::string, unsigned> kernelIndex_, constantIndex_;
  std::map<std::string, std::vector<::hydra_artifact::CachePair>> caches_;
  std::map<std::string, std::vector<AttentionLayerInfo>> layers_;

  flatbuffers::Offset<flatbuffers::Vector<
      flatbuffers::Offset<::hydra_artifact::AttentionLayer>>>
  layerTables(StringRef function);
};

/// c · ∏ symbols, a term of a launch's cost.
struct CostTerm {
  double coefficient;
  std::vector<uint32_t> symbols;
};

/// The artifact element type of an MLIR element type, or invalid.
::hydra_artifact::DType toArtifactDType(Type type);

} // namespace mlir::hydra

#endif // HYDRA_LIB_COMPILER_ARTIFACTWRITER_H
