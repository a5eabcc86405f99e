//===- artifact_check.cc - verify an artifact before use ------------------===//

#include "artifact_check.h"
#include "artifact_format.h"
#include "checksum.h"
#include "status.h"

#include <set>
#include <string>

using namespace hydra;
using namespace hydra::rt;

namespace {
using artifact::kFormatVersion;
// Limits of every CUDA arch we target.
using artifact::kMaxBlockSize;
using artifact::kMaxSharedBytes;
using artifact::kMaxSymbols;
// More query heads than any model's layer has.
constexpr size_t kMaxHeads = 1 << 16;
constexpr uint32_t kMaxKernelBuffers = 64;

hydra_status invalid(const std::string &where, const std::string &what) {
  return makeStatus(HYDRA_INVALID_ARTIFACT, "invalid artifact: ", where, ": ",
                    what);
}

bool validDType(fb::DType t) {
  return t >= fb::DType::f32 && t <= fb::DType::u64;
}

// The schema lists the float types, then bool, then the integers.
bool floatDType(fb::DType t) {
  return t >= fb::DType::f32 && t <= fb::DType::f64;
}
bool integerDType(fb::DType t) {
  return t >= fb::DType::i8 && t <= fb::DType::u64;
}

bool validDevice(fb::Device d) {
  return d == fb::Device::cpu || d == fb::Device::cuda;
}

bool isIdentifier(const flatbuffers::String *s) {
  if (!s || s->size() == 0)
    return false;
  for (char c : s->string_view())
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

bool alignedIn(const uint8_t *base, const void *p, size_t alignment) {
  return (static_cast<const uint8_t *>(p) - base) % alignment == 0;
}

// FlatBuffers 2.0.8's verifier aligns a vector's length prefix to 4 bytes
// only; a crafted file can place a [long] vector's elements off 8 and every
// read of them would be misaligned.
// (An empty vector has no elements to read, and FlatBuffers does not align
// it: scalars' shapes sit anywhere.)
bool alignedLongs(const uint8_t *base, const flatbuffers::Vector<int64_t> *v) {
  return v->size() == 0 || alignedIn(base, v->data(), alignof(int64_t));
}

hydra_status checkSignature(const uint8_t *base, const fb::TensorSignature *sig,
                            const std::string &where, uint32_t numSymbols,
                            std::set<int64_t> *symbols) {
  if (!alignedLongs(base, sig->shape()))
    return invalid(where, "shape not 8-byte aligned");
  if (!validDType(sig->dtype()))
    return invalid(where, "unknown dtype " + std::to_string(int(sig->dtype())));
  if (sig->shape()->size() > kMaxRank)
    return invalid(where, "rank " + std::to_string(sig->shape()->size()) +
                              " exceeds " + std::to_string(kMaxRank));
  for (int64_t d : *sig->shape()) {
    if (d >= 0)
      continue;
    int64_t symbol = -(d + 1);
    if (symbol >= numSymbols)
      return invalid(where, "size symbol " + std::to_string(symbol) +
                                " out of range (" + std::to_string(numSymbols) +
                                " symbols)");
    if (symbols)
      symbols->insert(symbol);
  }
  return nullptr;
}

/// An element read (element, float_element): element rhs of input lhs,
/// both constants, the input an integer (a float) tensor of f.
hydra_status checkElementRead(const fb::Function &f, const fb::DerivedSymbol &d,
                              bool isFloat, const std::string &dw) {
  int64_t input = d.lhs().value(), element = d.rhs().value();
  if (d.lhs().symbol() >= 0 || d.rhs().symbol() >= 0)
    return invalid(dw, "an element read whose input or index is not a "
                       "constant");
  if (input < 0 || uint64_t(input) >= f.inputs()->size())
    return invalid(dw, "reads input " + std::to_string(input) + " of " +
                           std::to_string(f.inputs()->size()));
  if (element < 0)
    return invalid(dw, "reads a negative element index");
  // A static input's element count is known here (the input checks catch
  // the others per call); shapes are already checked.
  const fb::TensorSignature *sig = f.inputs()->Get(size_t(input));
  uint64_t count = 1;
  bool isStatic = true;
  for (int64_t n : *sig->shape()) {
    isStatic &= n >= 0;
    if (n >= 0)
      count = n == 0 || count <= UINT64_MAX / uint64_t(n) ? count * uint64_t(n)
                                                          : UINT64_MAX;
  }
  if (isStatic && uint64_t(element) >= count)
    return invalid(dw, "reads element " + std::to_string(element) +
                           " of input " + std::to_string(input) +
                           ", which has " + std::to_string(count));
  if (isFloat ? !floatDType(sig->dtype()) : !integerDType(sig->dtype()))
    return invalid(dw, "reads an element of input " + std::to_string(input) +
                           ", which is not " +
                           (isFloat ? "a float" : "an integer") + " tensor");
  return nullptr;
}

/// Each cache pair names an input and an output once, of one dtype and
/// rank, whose sizes agree but on an append's axis.
hydra_status checkCaches(const fb::Function &f, const std::string &where) {
  if (!f.caches())
    return nullptr;
  std::set<uint32_t> inputs, outputs;
  for (size_t i = 0; i < f.caches()->size(); ++i) {
    const fb::CachePair *c = f.caches()->Get(i);
    std::string cw = where + " cache " + std::to_string(i);
    if (c->input() >= f.inputs()->size() || c->output() >= f.outputs()->size())
      return invalid(cw, "names input " + std::to_string(c->input()) +
                             " and output " + std::to_string(c->output()) +
                             " of " + std::to_string(f.inputs()->size()) +
                             " and " + std::to_string(f.outputs()->size()));
    if (!inputs.insert(c->input()).second ||
        !outputs.insert(c->output()).second)
      return invalid(cw, "names an input or output a second time");
    const fb::TensorSignature *in = f.inputs()->Get(c->input());
    const fb::TensorSignature *out = f.outputs()->Get(c->output());
    size_t rank = in->shape()->size();
    if (in->dtype() != out->dtype() || out->shape()->size() != rank)
      return invalid(cw, "pairs tensors of different dtypes or ranks");
    bool append = c->kind() == fb::CacheKind::append;
    if (!append && c->kind() != fb::CacheKind::state)
      return invalid(cw, "unknown kind");
    if (c->in_place() && !append)
      return invalid(cw, "a state updated in place (only appends may be)");
    if (append ? c->axis() < 0 || size_t(c->axis()) >= rank : c->axis() != 0)
      return invalid(cw, "axis " + std::to_string(c->axis()) +
                             " is not one of the rank-" + std::to_string(rank) +
                             " tensors' (0 for a state)");
    for (size_t d = 0; d < rank; ++d)
      if ((!append || d != size_t(c->axis())) &&
          in->shape()->Get(d) != out->shape()->Get(d))
        return invalid(cw, "pairs tensors whose size " + std::to_string(d) +
                               " differs");
  }
  return nullptr;
}

/// Each attention layer's head map is F and L letters, as many as a
/// multiple of its kv heads (0: not known) (tools read them; no program
/// does).
hydra_status checkAttentionLayers(const fb::Function &f,
                                  const std::string &where) {
  if (!f.attention_layers())
    return nullptr;
  for (size_t i = 0; i < f.attention_layers()->size(); ++i) {
    const fb::AttentionLayer *l = f.attention_layers()->Get(i);
    std::string lw = where + " attention layer " + std::to_string(i);
    const flatbuffers::String *heads = l->heads();
    if (heads->size() == 0 || heads->size() > kMaxHeads)
      return invalid(lw, "has " + std::to_string(heads->size()) +
                             " heads, not 1.." + std::to_string(kMaxHeads));
    for (char c : heads->string_view())
      if (c != 'F' && c != 'L')
        return invalid(lw, "head map holds a letter other than F and L");
    if (l->kv_heads() != 0 && heads->size() % l->kv_heads() != 0)
      return invalid(lw, std::to_string(l->kv_heads()) +
                             " kv heads do not divide its " +
                             std::to_string(heads->size()) + " query heads");
  }
  return nullptr;
}

hydra_status checkFunction(const uint8_t *base, const fb::Module *m,
                           const fb::Function *f, size_t index) {
  std::string where = "function " + std::to_string(index);
  if (f->name()->size() == 0)
    return invalid(where, "empty name");
  where += " '" + f->name()->str() + "'";
  uint32_t numSymbols = f->num_symbols();
  if (numSymbols > kMaxSymbols)
    return invalid(where, "too many size symbols");
  std::set<int64_t> bound;  // sizes an input determines
  std::set<int64_t> floats; // float values (float_element, float_sub)
  uint32_t numDerived = f->derived_symbols() ? f->derived_symbols()->size() : 0;
  if (numDerived > numSymbols)
    return invalid(where, std::to_string(numDerived) +
                              " derived symbols of only " +
                              std::to_string(numSymbols));
  uint32_t firstDerived = numSymbols - numDerived;
  for (size_t i = 0; i < f->inputs()->size(); ++i)
    HYDRA_RETURN_IF_ERROR(checkSignature(base, f->inputs()->Get(i),
                                         where + " input " + std::to_string(i),
                                         firstDerived, &bound));
  // A derived symbol is bound when its operands are: lower-numbered
  // symbols (so evaluation in order reads only values already computed).
  for (uint32_t i = 0; i < numDerived; ++i) {
    const fb::DerivedSymbol *d = f->derived_symbols()->Get(i);
    std::string dw =
        where + " derived symbol s" + std::to_string(firstDerived + i);
    if (d->op() < fb::SizeOp::MIN || d->op() > fb::SizeOp::MAX)
      return invalid(dw, "unknown operation");
    if (d->op() == fb::SizeOp::element ||
        d->op() == fb::SizeOp::float_element) {
      bool isFloat = d->op() == fb::SizeOp::float_element;
      HYDRA_RETURN_IF_ERROR(checkElementRead(*f, *d, isFloat, dw));
      (isFloat ? floats : bound).insert(firstDerived + i);
      continue;
    }
    if (d->op() == fb::SizeOp::float_sub ||
        d->op() == fb::SizeOp::float_ceildiv) {
      // Float values, not sizes: both operands earlier float symbols.
      for (const fb::SizeOperand *o : {&d->lhs(), &d->rhs()})
        if (o->symbol() < 0 || uint32_t(o->symbol()) >= firstDerived + i ||
            !floats.count(o->symbol()))
          return invalid(
              dw,
              std::string(o->symbol() < 0 ? "a constant"
                                          : "s" + std::to_string(o->symbol())) +
                  " as an operand of " + fb::EnumNameSizeOp(d->op()) +
                  ", which takes earlier float symbols");
      (d->op() == fb::SizeOp::float_sub ? floats : bound)
          .insert(firstDerived + i);
      continue;
    }
    for (const fb::SizeOperand *o : {&d->lhs(), &d->rhs()})
      if (o->symbol() >= 0 && (uint32_t(o->symbol()) >= firstDerived + i ||
                               !bound.count(o->symbol())))
        return invalid(dw, "reads s" + std::to_string(o->symbol()) +
                               ", which is not an earlier bound size");
    bound.insert(firstDerived + i);
  }
  if (f->size_check_notes() &&
      (!f->size_checks() ||
       f->size_check_notes()->size() != f->size_checks()->size()))
    return invalid(where, "size check notes that are not one per check");
  if (f->size_checks())
    for (const fb::SizeCheck *c : *f->size_checks())
      for (const fb::SizeOperand *o : {&c->lhs(), &c->rhs()})
        if (o->symbol() >= 0 && !bound.count(o->symbol()))
          return invalid(where, "a size check reads s" +
                                    std::to_string(o->symbol()) +
                                    ", which is not bound");
  std::set<int64_t> used;
  for (size_t i = 0; i < f->outputs()->size(); ++i)
    HYDRA_RETURN_IF_ERROR(checkSignature(base, f->outputs()->Get(i),
                                         where + " output " + std::to_string(i),
                                         numSymbols, &used));
  HYDRA_RETURN_IF_ERROR(checkCaches(*f, where));
  HYDRA_RETURN_IF_ERROR(checkAttentionLayers(*f, where));
  size_t numConstants = m->constants() ? m->constants()->size() : 0;
  if (f->programs()->size() == 0)
    return invalid(where, "no programs");
  std::set<fb::Device> devices;
  for (size_t p = 0; p < f->programs()->size(); ++p) {
    const fb::Program *program = f->programs()->Get(p);
    std::string pw = where + " program " + std::to_string(p);
    if (!validDevice(program->device()))
      return invalid(pw, "unknown device");
    if (!devices.insert(program->device()).second)
      return invalid(pw,
                     "a second program for device " +
                         std::string(fb::EnumNameDevice(program->device())));
    size_t numTemporaries =
        program->temporaries() ? program->temporaries()->size() : 0;
    for (size_t i = 0; i < numTemporaries; ++i)
      HYDRA_RETURN_IF_ERROR(checkSignature(
          base, program->temporaries()->Get(i),
          pw + " temporary " + std::to_string(i), numSymbols, &used));
    for (size_t l = 0; l < program->launches()->size(); ++l) {
      const fb::Launch *launch = program->launches()->Get(l);
      std::string lw = pw + " launch " + std::to_string(l);
      if (launch->kernel() >= m->kernels()->size())
        return invalid(lw, "kernel index " + std::to_string(launch->kernel()) +
                               " out of range");
      const fb::Kernel *kernel = m->kernels()->Get(launch->kernel());
      if (kernel->device() != program->device())
        return invalid(lw, "launches a kernel of another device");
      if (launch->buffers()->size() != kernel->num_buffers())
        return invalid(lw, "passes " +
                               std::to_string(launch->buffers()->size()) +
                               " buffers to a kernel taking " +
                               std::to_string(kernel->num_buffers()));
      for (const fb::BufferRef *ref : *launch->buffers()) {
        size_t limit = 0;
        switch (ref->kind()) {
        case fb::BufferKind::input:
          limit = f->inputs()->size();
          break;
        case fb::BufferKind::output:
          limit = f->outputs()->size();
          break;
        case fb::BufferKind::constant:
          limit = numConstants;
          break;
        case fb::BufferKind::temporary:
          limit = numTemporaries;
          break;
        default:
          return invalid(lw, "unknown buffer kind");
        }
        if (ref->index() >= limit)
          return invalid(lw, "buffer index " + std::to_string(ref->index()) +
                                 " out of range");
      }
      for (const auto *terms : {launch->flops(), launch->bytes()})
        if (terms)
          for (const fb::CostTerm *term : *terms)
            if (term->symbols())
              for (uint32_t s : *term->symbols())
                if (s >= numSymbols || floats.count(s))
                  return invalid(lw, "cost symbol out of range or not a size");
      if (launch->grid()->size() == 0 || launch->grid()->size() > kMaxRank)
        return invalid(lw, "grid rank " +
                               std::to_string(launch->grid()->size()) +
                               " not in [1, " + std::to_string(kMaxRank) + "]");
      for (const fb::GridDim *g : *launch->grid()) {
        if (g->symbol() >= 0) {
          if (uint32_t(g->symbol()) >= numSymbols)
            return invalid(lw, "grid symbol out of range");
          if (g->value() <= 0)
            return invalid(lw, "grid divisor must be positive");
          used.insert(g->symbol());
        } else if (g->value() < 0) {
          return invalid(lw, "negative grid size");
        }
      }
    }
  }
  for (int64_t s : used)
    if (!bound.count(s))
      return invalid(where, "size symbol " + std::to_string(s) +
                                " is not given by any input");
  return nullptr;
}
} // namespace

hydra_status hydra::rt::verifyArtifact(const uint8_t *data, size_t size,
                                       const fb::Module **root) {
  if (!data || size < 8)
    return invalid("buffer", "too small to be an artifact (" +
                                 std::to_string(size) + " bytes)");
  if (!fb::ModuleBufferHasIdentifier(data))
    return invalid("buffer", "missing the 'HYDR' file identifier");
  flatbuffers::Verifier::Options options;
  options.max_depth = 64;
  options.max_tables = 1 << 20;
  flatbuffers::Verifier verifier(data, size, options);
  if (!fb::VerifyModuleBuffer(verifier))
    return invalid("buffer", "FlatBuffers verification failed (truncated "
                             "or corrupted)");
  const fb::Module *m = fb::GetModule(data);
  // Generated tables derive privately from flatbuffers::Table.
  const uint8_t *stored =
      reinterpret_cast<const flatbuffers::Table *>(m)->GetAddressOf(
          fb::Module::VT_CHECKSUM);
  if (!stored)
    return invalid("module", "no checksum");
  if (hydra::artifact::checksum(data, size, stored) != m->checksum())
    return invalid("module", "checksum mismatch (the file was changed or "
                             "damaged)");
  if (m->format_version() != kFormatVersion)
    return invalid("module", "format version " +
                                 std::to_string(m->format_version()) +
                                 ", this runtime reads version " +
                                 std::to_string(kFormatVersion));
  if (m->functions()->size() == 0)
    return invalid("module", "no functions");
  std::set<std::string> names;
  for (size_t i = 0; i < m->functions()->size(); ++i) {
    HYDRA_RETURN_IF_ERROR(checkFunction(data, m, m->functions()->Get(i), i));
    if (!names.insert(m->functions()->Get(i)->name()->str()).second)
      return invalid("module", "duplicate function '" +
                                   m->functions()->Get(i)->name()->str() + "'");
  }
  for (size_t i = 0; i < m->kernels()->size(); ++i) {
    const fb::Kernel *k = m->kernels()->Get(i);
    if (!isIdentifier(k->name()))
      return invalid("kernel " + std::to_string(i),
                     "name is not an identifier");
    if (k->num_buffers() > kMaxKernelBuffers)
      return invalid("kernel " + std::to_string(i), "too many buffers");
    if (!validDevice(k->device()))
      return invalid("kernel " + std::to_string(i), "unknown device");
    bool cuda = k->device() == fb::Device::cuda;
    if (cuda ? (k->block_size() == 0 || k->block_size() > kMaxBlockSize)
             : k->block_size() != 0)
      return invalid("kernel " + std::to_string(i),
                     "block size " + std::to_string(k->block_size()) +
                         (cuda ? " not in [1, 1024]" : " on a cpu kernel"));
    if (k->shared_bytes() > kMaxSharedBytes || (!cuda && k->shared_bytes()))
      return invalid("kernel " + std::to_string(i),
                     std::to_string(k->shared_bytes()) +
                         " bytes of shared memory");
  }
  for (size_t i = 0; i < m->executables()->size(); ++i) {
    const fb::Executable *e = m->executables()->Get(i);
    std::string where = "executable " + std::to_string(i);
    if (e->target()->size() == 0)
      return invalid(where, "empty target");
    if (e->data()->size() == 0)
      return invalid(where, "no code");
    if (!alignedIn(data, e->data()->data(), 64))
      return invalid(where, "code not 64-byte aligned");
    if (e->resources())
      for (const fb::KernelResources *r : *e->resources())
        if (!isIdentifier(r->kernel()))
          return invalid(where, "resource entry without a kernel name");
    if (e->format() == fb::ExecutableFormat::elf_shared_object) {
      const uint8_t *d = e->data()->data();
      if (e->data()->size() < 64 || d[0] != 0x7f || d[1] != 'E' ||
          d[2] != 'L' || d[3] != 'F')
        return invalid(where, "not an ELF shared object");
      // Without them the runtime could not tell whether this CPU runs it.
      if (!e->cpu() || !e->cpu_features())
        return invalid(where, "x86-64 code without its CPU and features");
    } else if (e->format() != fb::ExecutableFormat::ptx &&
               e->format() != fb::ExecutableFormat::cubin) {
      return invalid(where, "unknown format");
    }
  }
  if (m->constants()) {
    for (size_t i = 0; i < m->constants()->size(); ++i) {
      const fb::Constant *c = m->constants()->Get(i);
      std::string where = "constant " + std::to_string(i);
      if (!validDType(c->dtype()))
        return invalid(where, "unknown dtype");
      if (c->shape()->size() > kMaxRank)
        return invalid(where, "rank too large");
      if (!alignedLongs(data, c->shape()))
        return invalid(where, "shape not 8-byte aligned");
      uint64_t elements = 1;
      for (int64_t d : *c->shape()) {
        if (d < 0 || (d > 0 && elements > (UINT64_MAX >> 8) / uint64_t(d)))
          return invalid(where, "bad static shape");
        elements *= uint64_t(d);
      }
      uint64_t bytes =
          elements * hydra_dtype_size(static_cast<hydra_dtype>(c->dtype()));
      if (bytes != c->data()->size())
        return invalid(where, "holds " + std::to_string(c->data()->size()) +
                                  " bytes, its shape needs " +
                                  std::to_string(bytes));
      // An empty constant's data is never read.
      if (bytes != 0 && !alignedIn(data, c->data()->data(), 64))
        return invalid(where, "data not 64-byte aligned");
    }
  }
  *root = m;
  return nullptr;
}
