//===- ArtifactWriter.cpp - host programs → FlatBuffers artifact ----------===//

#include "ArtifactWriter.h"
#include "artifact_format.h"

#include "checksum.h"
#include "hydra/Dialect/Hydra/IR/Hydra.h"
#include "hydra/Dialect/Hydra/Utils/BufferViews.h"
#include "hydra/version.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::hydra;
namespace fb = ::hydra_artifact;

static constexpr const char *kProducer = "hydra-compile " HYDRA_VERSION_STRING;

fb::DType mlir::hydra::toArtifactDType(Type t) {
  if (t.isF32())
    return fb::DType::f32;
  if (t.isF16())
    return fb::DType::f16;
  if (t.isBF16())
    return fb::DType::bf16;
  if (t.isF64())
    return fb::DType::f64;
  if (t.isInteger(1))
    return fb::DType::i1;
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 8:
      return u ? fb::DType::u8 : fb::DType::i8;
    case 16:
      return u ? fb::DType::u16 : fb::DType::i16;
    case 32:
      return u ? fb::DType::u32 : fb::DType::i32;
    case 64:
      return u ? fb::DType::u64 : fb::DType::i64;
    default:
      break;
    }
  }
  return fb::DType::invalid;
}

ArtifactWriter::ArtifactWriter() : fbb_(1 << 16) {}

fb::SizeOperand DerivedSymbols::derive(fb::SizeOp op, fb::SizeOperand lhs,
                                       fb::SizeOperand rhs) {
  auto key = std::make_tuple(int(op), lhs.symbol(), lhs.value(), rhs.symbol(),
                             rhs.value());
  auto [it, inserted] = index_.insert({key, numSymbols()});
  if (inserted)
    list_.emplace_back(op, lhs, rhs);
  return fb::SizeOperand(int32_t(it->second), 0);
}

fb::SizeOperand DerivedSymbols::operand(AffineExpr e,
                                        ArrayRef<SizeTerm> terms) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return fb::SizeOperand(-1, c.getValue());
  if (auto sym = dyn_cast<AffineSymbolExpr>(e))
    return fb::SizeOperand(int32_t(sym.getPosition()), 0);
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    const SizeTerm &x = terms[d.getPosition()];
    if (x.kind == SizeTerm::Kind::Element)
      return derive(fb::SizeOp::element, fb::SizeOperand(-1, x.input),
                    fb::SizeOperand(-1, x.element));
    if (x.kind == SizeTerm::Kind::RangeCount) {
      auto read = [&](const ArgumentElement &e) {
        return derive(fb::SizeOp::float_element, fb::SizeOperand(-1, e.input),
                      fb::SizeOperand(-1, e.element));
      };
      // In order, so the symbols are numbered the same on every build.
      fb::SizeOperand limit = read(x.limit), start = read(x.start);
      fb::SizeOperand span = derive(fb::SizeOp::float_sub, limit, start);
      fb::SizeOperand delta = read(x.delta);
      return derive(fb::SizeOp::float_ceildiv, span, delta);
    }
    return derive(x.isMax() ? fb::SizeOp::max : fb::SizeOp::min,
                  operand(x.lhs, terms), operand(x.rhs, terms));
  }
  auto bin = cast<AffineBinaryOpExpr>(e);
  fb::SizeOp op;
  switch (bin.getKind()) {
  case AffineExprKind::Add:
    op = fb::SizeOp::add;
    break;
  case AffineExprKind::Mul:
    op = fb::SizeOp::mul;
    break;
  case AffineExprKind::FloorDiv:
    op = fb::SizeOp::floordiv;
    break;
  case AffineExprKind::CeilDiv:
    op = fb::SizeOp::ceildiv;
    break;
  default:
    op = fb::SizeOp::mod;
    break;
  }
  return derive(op, operand(bin.getLHS(), terms), operand(bin.getRHS(), terms));
}

FailureOr<int64_t> DerivedSymbols::entry(AffineExpr size,
                                         ArrayRef<SizeTerm> terms) {
  size = simplifySize(size, terms.size());
  if (auto c = dyn_cast<AffineConstantExpr>(size)) {
    if (c.getValue() < 0)
      return failure();
    return c.getValue();
  }
  return -(int64_t(operand(size, terms).symbol()) + 1);
}

/// A tracer of host-program sizes over the function's size symbols.
static SizeTracer hostTracer(func::FuncOp host, const DimSymbols &symbols) {
  MLIRContext *ctx = host.getContext();
  return SizeTracer(
      ctx,
      [&symbols, ctx](unsigned arg,
                      unsigned axis) -> std::optional<AffineExpr> {
        if (!symbols.isDynamic(arg, axis))
          return std::nullopt;
        return getAffineSymbolExpr(symbols.symbol(arg, axis), ctx);
      },
      hydraResultDim);
}

/// The importer marks arguments and results of unsigned ONNX types (MLIR
/// integers are signless).
static bool markedUnsigned(func::FuncOp f, unsigned i, bool input) {
  return input ? bool(f.getArgAttr(i, "hydra.unsigned"))
               : bool(f.getResultAttr(i, "hydra.unsigned"));
}

static fb::DType unsignedVariant(fb::DType dtype) {
  switch (dtype) {
  case fb::DType::i8:
    return fb::DType::u8;
  case fb::DType::i16:
    return fb::DType::u16;
  case fb::DType::i32:
    return fb::DType::u32;
  case fb::DType::i64:
    return fb::DType::u64;
  default:
    return dtype;
  }
}

static std::string nameOf(func::FuncOp f, unsigned i, bool input) {
  auto attr = input ? f.getArgAttrOfType<StringAttr>(i, "hydra.name")
                    : f.getResultAttrOfType<StringAttr>(i, "hydra.name");
  if (attr)
    return attr.str();
  return (input ? "input" : "output") + std::to_string(i);
}

/// Bytes of the workgroup (shared) buffers a GPU block kernel allocates,
/// each 16-byte aligned as ptxas lays them out.
static unsigned sharedBytesOf(func::FuncOp kernel) {
  int64_t bytes = 0;
  kernel.walk([&](memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    if (type.getMemorySpace() && type.hasStaticShape())
      bytes = sharedBufferStart(bytes) +
              type.getNumElements() * type.getElementTypeBitWidth() / 8;
  });
  return unsigned(bytes);
}

unsigned ArtifactWriter::kernelIndex(func::FuncOp kernel, unsigned numBuffers,
                                     fb::Device device) {
  std::string name = kernel.getSymName().str();
  std::string key = std::string(fb::EnumNameDevice(device)) + ":" + name;
  auto [it, inserted] = kernelIndex_.insert({key, kernels_.size()});
  if (inserted) {
    auto blockSize = kernel->getAttrOfType<IntegerAttr>(kBlockSizeAttrName);
    unsigned threads = device == fb::Device::cuda && blockSize
                           ? unsigned(blockSize.getInt())
                           : 0;
    unsigned shared = device == fb::Device::cuda ? sharedBytesOf(kernel) : 0;
    kernels_.push_back(fb::CreateKernel(fbb_, fbb_.CreateString(name),
                                        numBuffers, device, threads, shared));
  }
  return it->second;
}

FailureOr<unsigned> ArtifactWriter::constantIndex(Operation *op) {
  auto getGlobal = cast<memref::GetGlobalOp>(op);
  auto [it, inserted] =
      constantIndex_.insert({getGlobal.getName().str(), constants_.size()});
  if (!inserted)
    return it->second;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      op, getGlobal.getNameAttr());
  auto value =
      global ? dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr())
             : nullptr;
  if (!global || !global.getConstant() || !value)
    return op->emitOpError()
           << "not supported in a host program: a buffer that is not a "
              "constant with dense contents";
  MemRefType type = global.getType();
  fb::DType dtype = toArtifactDType(type.getElementType());
  if (dtype == fb::DType::invalid)
    return op->emitOpError() << "not supported: constant of element type "
                             << type.getElementType();
  std::string bytes;
  if (type.getElementType().isInteger(1)) {
    // MLIR packs bools eight to a byte; a memref of i1 holds one a byte.
    bytes.reserve(type.getNumElements());
    for (bool b : value.getValues<bool>())
      bytes.push_back(char(b));
  } else {
    size_t elementBytes = type.getElementTypeBitWidth() / 8;
    ArrayRef<char> raw = value.getRawData();
    if (value.isSplat())
      for (int64_t i = 0, e = type.getNumElements(); i < e; ++i)
        bytes.append(raw.data(), elementBytes);
    else
      bytes.assign(raw.data(), raw.size());
  }
  auto name = fbb_.CreateString(getGlobal.getName().str());
  auto shape = fbb_.CreateVector(type.getShape().vec());
  fbb_.ForceVectorAlignment(bytes.size(), 1, 64);
  auto data = fbb_.CreateVector(reinterpret_cast<const uint8_t *>(bytes.data()),
                                bytes.size());
  constants_.push_back(fb::CreateConstant(fbb_, name, dtype, shape, data));
  return it->second;
}

/// What the artifact says of a buffer the program allocates: its dtype, and
/// its shape in static sizes and size symbols.
static FailureOr<Signature> describe(memref::AllocOp alloc, std::string name,
                                     SizeTracer &tracer,
                                     DerivedSymbols &derived,
                                     bool isUnsigned = false) {
  MemRefType type = alloc.getType();
  fb::DType dtype = toArtifactDType(type.getElementType());
  if (isUnsigned)
    dtype = unsignedVariant(dtype);
  if (dtype == fb::DType::invalid)
    return alloc.emitOpError() << "not supported: a buffer of type " << type;
  if (type.getRank() > ::hydra::artifact::kMaxRank)
    return emitError(alloc.getLoc())
           << "not supported: a buffer of rank " << type.getRank()
           << " (an artifact's tensors have rank at most "
           << ::hydra::artifact::kMaxRank << ")";
  Signature sig{std::move(name), dtype, {}};
  unsigned dynamicIndex = 0;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      sig.shape.push_back(type.getDimSize(d));
      continue;
    }
    Value size = alloc.getDynamicSizes()[dynamicIndex++];
    FailureOr<AffineExpr> expr = tracer.size(size);
    FailureOr<int64_t> entry = succeeded(expr)
                                   ? derived.entry(*expr, tracer.terms())
                                   : FailureOr<int64_t>(failure());
    if (failed(entry))
      return alloc.emitOpError()
             << "not supported: size " << d
             << " of a buffer is not a sum, product or quotient of the "
                "input sizes (sizes read from data are not)";
    sig.shape.push_back(*entry);
  }
  return sig;
}

flatbuffers::Offset<
    flatbuffers::Vector<flatbuffers::Offset<fb::TensorSignature>>>
ArtifactWriter::tables(ArrayRef<Signature> sigs) {
  std::vector<flatbuffers::Offset<fb::TensorSignature>> out;
  for (const Signature &sig : sigs)
    out.push_back(fb::CreateTensorSignature(fbb_, fbb_.CreateString(sig.name),
                                            sig.dtype,
                                            fbb_.CreateVector(sig.shape)));
  return fbb_.CreateVector(out);
}

/// The launch's cost terms from the hydra.work op of its kernel, with each
/// size traced to a dimension of a launch buffer: static sizes fold into
/// the coefficient, dynamic ones become symbols. Empty when the kernel has
/// no estimate or a size cannot be traced.
static std::pair<std::vector<CostTerm>, std::vector<CostTerm>>
costOf(func::FuncOp kernel, ArrayRef<ArrayRef<int64_t>> bufferShapes) {
  WorkOp work;
  kernel.walk([&](WorkOp op) { work = op; });
  if (!work)
    return {};
  // Each size as (static value, or symbol).
  SmallVector<std::pair<double, int64_t>> sizes;
  for (Value size : work.getSizes()) {
    std::pair<double, int64_t> entry{1.0, -1};
    if (std::optional<int64_t> k = getConstantIntValue(size)) {
      entry.first = double(*k);
    } else if (auto dim = size.getDefiningOp<memref::DimOp>()) {
      auto arg = dyn_cast<BlockArgument>(dim.getSource());
      std::optional<int64_t> axis = dim.getConstantIndex();
      if (!arg || !axis || arg.getOwner() != &kernel.getBody().front() ||
          arg.getArgNumber() >= bufferShapes.size())
        return {};
      int64_t extent = bufferShapes[arg.getArgNumber()][*axis];
      if (extent >= 0)
        entry.first = double(extent);
      else
        entry.second = -(extent + 1);
    } else {
      return {};
    }
    sizes.push_back(entry);
  }
  auto terms = [&](ArrayAttr attrs) {
    std::vector<CostTerm> out;
    for (Attribute attr : attrs) {
      auto term = cast<ArrayAttr>(attr);
      CostTerm t{cast<FloatAttr>(term[0]).getValueAsDouble(), {}};
      for (Attribute index : term.getValue().drop_front()) {
        auto [value, symbol] = sizes[cast<IntegerAttr>(index).getInt()];
        if (symbol >= 0)
          t.symbols.push_back(uint32_t(symbol));
        else
          t.coefficient *= value;
      }
      out.push_back(std::move(t));
    }
    return out;
  };
  return {terms(work.getFlops()), terms(work.getBytes())};
}

ArtifactWriter::PendingFunction &
ArtifactWriter::pendingFor(func::FuncOp host, const DimSymbols &symbols) {
  std::string name = host.getSymName().str();
  for (PendingFunction &f : pending_)
    if (f.name == name)
      return f;
  pending_.push_back({name,
                      symbols.numSymbols(),
                      {},
                      {},
                      {},
                      DerivedSymbols(symbols.numSymbols()),
                      {}});
  PendingFunction &f = pending_.back();
  for (const DimSymbols::Check &c : symbols.runtimeChecks()) {
    f.checks.emplace_back(f.derived.operand(c.lhs, symbols.terms()),
                          f.derived.operand(c.rhs, symbols.terms()));
    f.checkNotes.push_back(c.note);
  }
  return f;
}

LogicalResult ArtifactWriter::addFunction(func::FuncOp host,
                                          const DimSymbols &symbols,
                                          fb::Device device) {
  PendingFunction &pending = pendingFor(host, symbols);
  DerivedSymbols &derived = pending.derived;
  SizeTracer tracer = hostTracer(host, symbols);
  // Signatures.
  std::vector<Signature> inputs, outputs, temporaries;
  for (auto [i, type] : llvm::enumerate(host.getArgumentTypes())) {
    auto memref = dyn_cast<MemRefType>(type);
    fb::DType dtype =
        memref ? toArtifactDType(memref.getElementType()) : fb::DType::invalid;
    if (dtype == fb::DType::invalid)
      return host.emitOpError()
             << "not supported: input " << i << " of type " << type;
    if (memref.getRank() > ::hydra::artifact::kMaxRank)
      return emitError(host.getLoc())
             << "not supported: input " << i << " of rank " << memref.getRank()
             << " (an artifact's tensors have rank at most "
             << ::hydra::artifact::kMaxRank << ")";
    Signature sig{nameOf(host, i, true),
                  markedUnsigned(host, i, true) ? unsignedVariant(dtype)
                                                : dtype,
                  {}};
    for (int64_t d = 0; d < memref.getRank(); ++d)
      sig.shape.push_back(memref.isDynamicDim(d) ? -(symbols.symbol(i, d) + 1)
                                                 : memref.getDimSize(d));
    inputs.push_back(std::move(sig));
  }

  auto ret = cast<func::ReturnOp>(host.getBody().front().getTerminator());
  DenseMap<Value, unsigned> outputIndex;
  // A cast only changes which sizes the type states (the canonicalizer
  // makes an allocation's constant sizes static behind one).
  auto throughCasts = [](Value v) {
    while (auto cast = v.getDefiningOp<memref::CastOp>())
      v = cast.getSource();
    return v;
  };
  for (auto [i, result] : llvm::enumerate(ret.getOperands())) {
    Value value = throughCasts(result);
    auto alloc = value.getDefiningOp<memref::AllocOp>();
    if (!alloc || outputIndex.count(value))
      return ret.emitOpError() << "not supported: result " << i
                               << " is not a fresh buffer the program fills";
    outputIndex[value] = i;
    auto sig = describe(alloc, nameOf(host, i, false), tracer, derived,
                        markedUnsigned(host, i, false));
    if (failed(sig))
      return failure();
    outputs.push_back(std::move(*sig));
  }
  // Every other allocation is scratch passed between launches.
  DenseMap<Value, unsigned> temporaryIndex;
  for (auto alloc : host.getBody().getOps<memref::AllocOp>()) {
    if (outputIndex.count(alloc.getResult()))
      continue;
    unsigned index = temporaries.size();
    auto sig =
        describe(alloc, "temporary" + std::to_string(index), tracer, derived);
    if (failed(sig))
      return failure();
    temporaries.push_back(std::move(*sig));
    temporaryIndex[alloc.getResult()] = index;
  }

  // The program.
  std::vector<flatbuffers::Offset<fb::Launch>> launches;
  for (Operation &op : host.getBody().front()) {
    // Size arithmetic is not run: the artifact's sizes say what it
    // computes, elements read from data included.
    if (isa<memref::DimOp, memref::AllocOp, memref::GetGlobalOp,
            memref::DeallocOp, func::ReturnOp, affine::AffineApplyOp>(op) ||
        isBufferView(&op) || isArgumentElementRead(&op) ||
        (isMemoryEffectFree(&op) && op.getDialect() &&
         (op.getDialect()->getNamespace() == "arith" ||
          op.getDialect()->getNamespace() == "math")))
      continue;
    auto launch = dyn_cast<LaunchOp>(op);
    if (!launch)
      return op.emitOpError()
             << "not supported in a host program (only launches, "
                "allocations of results, constants and size arithmetic "
                "are)";
    std::vector<fb::BufferRef> buffers;
    SmallVector<Value> launchBuffers;
    for (Value buffer : launch.getBuffers())
      launchBuffers.push_back(throughCasts(buffer));
    for (Value buffer : launchBuffers) {
      if (auto arg = dyn_cast<BlockArgument>(buffer)) {
        buffers.emplace_back(fb::BufferKind::input, arg.getArgNumber());
      } else if (outputIndex.count(buffer)) {
        buffers.emplace_back(fb::BufferKind::output, outputIndex[buffer]);
      } else if (temporaryIndex.count(buffer)) {
        buffers.emplace_back(fb::BufferKind::temporary, temporaryIndex[buffer]);
      } else if (buffer.getDefiningOp<memref::GetGlobalOp>()) {
        FailureOr<unsigned> index = constantIndex(buffer.getDefiningOp());
        if (failed(index))
          return failure();
        buffers.emplace_back(fb::BufferKind::constant, *index);
      } else {
        return launch.emitOpError()
               << "not supported: a launch buffer that is not an input, a "
                  "result, a constant or an allocation of the program";
      }
    }
    SmallVector<ArrayRef<int64_t>> shapes;
    for (Value buffer : launchBuffers) {
      if (auto arg = dyn_cast<BlockArgument>(buffer))
        shapes.push_back(inputs[arg.getArgNumber()].shape);
      else if (outputIndex.count(buffer))
        shapes.push_back(outputs[outputIndex[buffer]].shape);
      else if (temporaryIndex.count(buffer))
        shapes.push_back(temporaries[temporaryIndex[buffer]].shape);
      else
        shapes.push_back(cast<MemRefType>(buffer.getType()).getShape());
    }
    std::vector<fb::GridDim> grid;
    for (Value size : launch.getGrid()) {
      FailureOr<AffineExpr> expr = tracer.size(size);
      if (failed(expr))
        return launch.emitOpError()
               << "not supported: a grid size that is not a sum, product or "
                  "quotient of the input sizes";
      AffineExpr e = simplifySize(*expr, tracer.terms().size());
      // ceil(e / c) keeps its divisor in the grid; anything else is one
      // symbol.
      int64_t divisor = 1;
      auto bin = dyn_cast<AffineBinaryOpExpr>(e);
      if (bin && bin.getKind() == AffineExprKind::CeilDiv)
        if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS());
            c && c.getValue() > 0) {
          divisor = c.getValue();
          e = bin.getLHS();
        }
      FailureOr<int64_t> entry = derived.entry(e, tracer.terms());
      if (failed(entry))
        return launch.emitOpError() << "a negative grid size";
      if (*entry >= 0)
        grid.emplace_back(-1, (*entry + divisor - 1) / divisor);
      else
        grid.emplace_back(int32_t(-(*entry + 1)), divisor);
    }
    auto kernelFunc = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        launch, launch.getKernelAttr());
    unsigned kernel =
        kernelIndex(kernelFunc, launch.getBuffers().size(), device);
    auto [flops, bytes] = costOf(kernelFunc, shapes);
    auto encode = [&](const std::vector<CostTerm> &terms) {
      std::vector<flatbuffers::Offset<fb::CostTerm>> out;
      for (const CostTerm &term : terms)
        out.push_back(fb::CreateCostTerm(fbb_, term.coefficient,
                                         fbb_.CreateVector(term.symbols)));
      return out.empty() ? 0 : fbb_.CreateVector(out);
    };
    auto flopsTerms = encode(flops), bytesTerms = encode(bytes);
    launches.push_back(fb::CreateLaunch(
        fbb_, kernel, fbb_.CreateVectorOfStructs(buffers),
        fbb_.CreateVectorOfStructs(grid), flopsTerms, bytesTerms));
  }
  auto program = fb::CreateProgram(fbb_, device, fbb_.CreateVector(launches),
                                   tables(temporaries));
  // The signature is written once, with the first device's program.
  if (!pending.programs.empty() &&
      (pending.inputs != inputs || pending.outputs != outputs))
    return host.emitOpError()
           << "lowers to different signatures for two devices";
  pending.inputs = std::move(inputs);
  pending.outputs = std::move(outputs);
  pending.programs.push_back(program);
  return success();
}

void ArtifactWriter::addExecutable(
    StringRef target, fb::ExecutableFormat format, StringRef bytes,
    ArrayRef<flatbuffers::Offset<fb::KernelResources>> resources, StringRef cpu,
    ArrayRef<std::string> cpuFeatures) {
  auto name = fbb_.CreateString(target.str());
  auto cpuName = cpu.empty() ? 0 : fbb_.CreateString(cpu.str());
  auto features =
      cpu.empty() ? 0 : fbb_.CreateVectorOfStrings(cpuFeatures.vec());
  fbb_.ForceVectorAlignment(bytes.size(), 1, 64);
  auto data = fbb_.CreateVector(reinterpret_cast<const uint8_t *>(bytes.data()),
                                bytes.size());
  auto table = resources.empty() ? 0 : fbb_.CreateVector(resources.vec());
  executables_.push_back(
      fb::CreateExecutable(fbb_, name, format, data, table, cpuName, features));
}

flatbuffers::Offset<
    flatbuffers::Vector<flatbuffers::Offset<fb::AttentionLayer>>>
ArtifactWriter::layerTables(StringRef function) {
  auto found = layers_.find(function.str());
  if (found == layers_.end() || found->second.empty())
    return 0;
  std::vector<flatbuffers::Offset<fb::AttentionLayer>> tables;
  for (const AttentionLayerInfo &l : found->second)
    tables.push_back(fb::CreateAttentionLayer(
        fbb_, fbb_.CreateString(l.name), fbb_.CreateString(l.heads), l.kvHeads,
        l.headDim, l.valueDim, fbb_.CreateString(l.updateRule), l.causal));
  return fbb_.CreateVector(tables);
}

std::string ArtifactWriter::finish(StringRef sourceHash) {
  std::vector<flatbuffers::Offset<fb::Function>> functions;
  for (PendingFunction &f : pending_) {
    // Notes only where a check has one, so plain artifacts stay as they
    // were.
    bool anyNote = llvm::any_of(
        f.checkNotes, [](const std::string &n) { return !n.empty(); });
    functions.push_back(fb::CreateFunction(
        fbb_, fbb_.CreateString(f.name), f.derived.numSymbols(),
        tables(f.inputs), tables(f.outputs), fbb_.CreateVector(f.programs),
        f.derived.list().empty() ? 0
                                 : fbb_.CreateVectorOfStructs(f.derived.list()),
        f.checks.empty() ? 0 : fbb_.CreateVectorOfStructs(f.checks),
        anyNote ? fbb_.CreateVectorOfStrings(f.checkNotes) : 0,
        caches_[f.name].empty() ? 0
                                : fbb_.CreateVectorOfStructs(caches_[f.name]),
        layerTables(f.name)));
  }
  // A placeholder checksum that is not the default, so the field is
  // written and can be set in place once the buffer is final.
  auto module = fb::CreateModule(
      fbb_, /*checksum=*/~0ull, ::hydra::artifact::kFormatVersion,
      fbb_.CreateString(kProducer), fbb_.CreateString(sourceHash.str()),
      fbb_.CreateVector(functions), fbb_.CreateVector(kernels_),
      fbb_.CreateVector(executables_), fbb_.CreateVector(constants_));
  fb::FinishModuleBuffer(fbb_, module);
  uint8_t *buffer = fbb_.GetBufferPointer();
  fb::Module *root = fb::GetMutableModule(buffer);
  const uint8_t *hole =
      reinterpret_cast<flatbuffers::Table *>(root)->GetAddressOf(
          fb::Module::VT_CHECKSUM);
  root->mutate_checksum(
      ::hydra::artifact::checksum(buffer, fbb_.GetSize(), hole));
  return std::string(reinterpret_cast<const char *>(buffer), fbb_.GetSize());
}
