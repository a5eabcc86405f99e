//===- hydra-inspect.cpp - print what a hydra artifact holds --------------===//
//
//   hydra-inspect OUT.hydra [--json] [--sizes s0=N,...]
//   hydra-inspect OUT.hydra --extract TARGET:FORMAT -o FILE
//
// Verifies the artifact with the runtime first, then prints its functions
// (signatures with size symbols, launches), kernels, executables per target
// and constants, with sizes.
//
//===----------------------------------------------------------------------===//

#include "HeadMaps.h"
#include "JsonText.h"
#include "Roofline.h"
#include "hydra/runtime.h"
#include "hydra_artifact_generated.h"
#include "size_symbols.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fb = hydra_artifact;

namespace {
std::string dims(const flatbuffers::Vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d = shape.Get(i);
    os << (i ? ", " : "");
    if (d < 0)
      os << "s" << -(d + 1);
    else
      os << d;
  }
  os << "]";
  return os.str();
}

const char *dtypeName(fb::DType t) {
  return hydra_dtype_name(static_cast<hydra_dtype>(t));
}

std::string bufferName(const fb::Function &f, const fb::Module &m,
                       const fb::BufferRef &ref) {
  switch (ref.kind()) {
  case fb::BufferKind::input:
    return "input '" + f.inputs()->Get(ref.index())->name()->str() + "'";
  case fb::BufferKind::output:
    return "output '" + f.outputs()->Get(ref.index())->name()->str() + "'";
  case fb::BufferKind::temporary:
    return "temporary " + std::to_string(ref.index());
  default:
    return "constant '" + m.constants()->Get(ref.index())->name()->str() + "'";
  }
}

std::string gridText(const fb::Launch &l) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < l.grid()->size(); ++i) {
    const fb::GridDim *g = l.grid()->Get(i);
    os << (i ? ", " : "");
    if (g->symbol() < 0)
      os << g->value();
    else if (g->value() == 1)
      os << "s" << g->symbol();
    else
      os << "ceil(s" << g->symbol() << "/" << g->value() << ")";
  }
  os << "]";
  return os.str();
}

/// Values of size symbols given with --sizes.
using Sizes = std::map<uint32_t, double>;

/// `given` and every derived symbol of `f` whose operands it binds.
Sizes withDerived(const fb::Function &f, const Sizes &given) {
  Sizes sizes = given;
  if (!f.derived_symbols())
    return sizes;
  uint32_t first = hydra::rt::firstDerivedSymbol(f);
  for (uint32_t i = 0; i < f.derived_symbols()->size(); ++i) {
    const fb::DerivedSymbol *d = f.derived_symbols()->Get(i);
    std::optional<int64_t> operands[2];
    const fb::SizeOperand *ops[2] = {&d->lhs(), &d->rhs()};
    for (int k = 0; k < 2; ++k) {
      if (ops[k]->symbol() < 0)
        operands[k] = ops[k]->value();
      else if (auto it = sizes.find(ops[k]->symbol()); it != sizes.end())
        operands[k] = int64_t(it->second);
    }
    if (operands[0] && operands[1])
      if (auto r = hydra::rt::applySizeOp(d->op(), *operands[0], *operands[1]))
        sizes[first + i] = double(*r);
  }
  return sizes;
}

/// The launch's grid evaluated at the bound sizes: its number of blocks
/// (CUDA) or iterations (CPU), or none when a size is unbound.
std::optional<double> gridBlocks(const fb::Launch &l, const Sizes &sizes) {
  double blocks = 1;
  for (const fb::GridDim *g : *l.grid()) {
    if (g->symbol() < 0) {
      blocks *= double(g->value());
      continue;
    }
    auto it = sizes.find(uint32_t(g->symbol()));
    if (it == sizes.end())
      return std::nullopt;
    blocks *= std::ceil(it->second / double(std::max<int64_t>(g->value(), 1)));
  }
  return blocks;
}

/// A launch's FLOPs or bytes: the number when every symbol is bound,
/// else the polynomial ("2.1e+05·s0·s1 + …").
struct Cost {
  bool known = false;
  double value = 0;
  std::string text;
};

Cost evaluate(
    const flatbuffers::Vector<flatbuffers::Offset<fb::CostTerm>> *terms,
    const Sizes &sizes) {
  Cost cost;
  if (!terms)
    return cost;
  cost.known = true;
  std::ostringstream os;
  for (size_t i = 0; i < terms->size(); ++i) {
    const fb::CostTerm *term = terms->Get(i);
    double value = term->coefficient();
    os << (i ? " + " : "") << term->coefficient();
    if (term->symbols())
      for (uint32_t s : *term->symbols()) {
        os << "*s" << s;
        auto it = sizes.find(s);
        if (it == sizes.end())
          cost.known = false;
        else
          value *= it->second;
      }
    cost.value += value;
  }
  cost.text = os.str();
  return cost;
}

/// A launch's cost at `sizes`: its kernel's estimate, or none at all when
/// its grid has no blocks there (a dynamic program holds the launches of
/// every form, e.g. linear attention's chunk and step forms, and a call
/// takes one; the estimate is what a block-filled grid would do).
Cost launchCost(
    const flatbuffers::Vector<flatbuffers::Offset<fb::CostTerm>> *terms,
    const Sizes &sizes, std::optional<double> blocks) {
  Cost cost = evaluate(terms, sizes);
  if (blocks && *blocks == 0 && !cost.text.empty()) {
    cost.known = true;
    cost.value = 0;
  }
  return cost;
}

std::string costText(const fb::Launch &l, const Sizes &sizes,
                     std::optional<double> blocks) {
  Cost flops = launchCost(l.flops(), sizes, blocks),
       bytes = launchCost(l.bytes(), sizes, blocks);
  if (flops.text.empty() && bytes.text.empty())
    return "no estimate";
  char buffer[128];
  std::string out;
  if (flops.known) {
    std::snprintf(buffer, sizeof(buffer), "%.4g GFLOP", flops.value / 1e9);
    out += buffer;
  } else {
    out += "FLOPs " + flops.text;
  }
  out += ", ";
  if (bytes.known) {
    std::snprintf(buffer, sizeof(buffer), "%.4g MB moved", bytes.value / 1e6);
    out += buffer;
  } else {
    out += "bytes " + bytes.text;
  }
  if (flops.known && bytes.known && bytes.value > 0) {
    std::snprintf(buffer, sizeof(buffer), " (%.3g FLOP/byte)",
                  flops.value / bytes.value);
    out += buffer;
  }
  return out;
}

std::string quote(const std::string &s) { return hydra::inspect::jsonQuote(s); }

/// Whether a kernel computes on tensor cores: the compiler names the
/// kernels of its mma.sync forms `..._mma`.
bool usesTensorCores(const fb::Kernel &k) {
  const std::string name = k.name()->str();
  return name.size() >= 4 && name.compare(name.size() - 4, 4, "_mma") == 0;
}

std::optional<hydra::inspect::RooflineTime>
launchRoofline(const hydra::inspect::GpuPeaks &gpu, const fb::Kernel &k,
               const fb::Launch &l, const Sizes &sizes,
               std::optional<double> blocks) {
  Cost flops = launchCost(l.flops(), sizes, blocks),
       bytes = launchCost(l.bytes(), sizes, blocks);
  if (!blocks || !flops.known || !bytes.known)
    return std::nullopt;
  return hydra::inspect::roofline(gpu, flops.value, bytes.value, *blocks,
                                  usesTensorCores(k));
}

std::string rooflineText(const hydra::inspect::GpuPeaks &gpu,
                         const fb::Kernel &k, const fb::Launch &l,
                         const Sizes &sizes, std::optional<double> blocks) {
  auto r = launchRoofline(gpu, k, l, sizes, blocks);
  if (!r)
    return std::string("roofline on ") + gpu.name +
           ": needs every size bound (--sizes)";
  if (*blocks == 0)
    return std::string("roofline on ") + gpu.name +
           ": no blocks at these sizes";
  char buffer[192];
  std::snprintf(
      buffer, sizeof(buffer),
      "roofline on %s: %.4g us, %s-bound (%s peak), %.3g blocks "
      "an SM%s",
      gpu.name, r->seconds * 1e6, r->memoryBound ? "memory" : "compute",
      usesTensorCores(k) ? "tensor-core" : "f32 FMA", *blocks / double(gpu.sms),
      r->smFill < 1 ? ", SMs left idle" : "");
  return buffer;
}

void printText(const fb::Module &m, size_t bytes, const Sizes &given,
               const hydra::inspect::GpuPeaks *gpu) {
  std::printf("hydra artifact: %zu bytes, format %u, producer '%s'\n", bytes,
              m.format_version(), m.producer() ? m.producer()->c_str() : "");
  if (m.source_hash() && m.source_hash()->size())
    std::printf("source sha256: %s\n", m.source_hash()->c_str());
  for (const fb::Function *f : *m.functions()) {
    std::printf("\nfunction %s (%u size symbols)\n", f->name()->c_str(),
                f->num_symbols());
    for (uint32_t i = hydra::rt::firstDerivedSymbol(*f); i < f->num_symbols();
         ++i)
      std::printf("  size s%u = %s\n", i,
                  hydra::rt::derivedSymbolText(*f, i).c_str());
    if (f->size_checks())
      for (const fb::SizeCheck *c : *f->size_checks()) {
        auto text = [](const fb::SizeOperand &o) {
          return o.symbol() >= 0 ? "s" + std::to_string(o.symbol())
                                 : std::to_string(o.value());
        };
        std::printf("  check %s == %s\n", text(c->lhs()).c_str(),
                    text(c->rhs()).c_str());
      }
    Sizes sizes = withDerived(*f, given);
    for (const fb::TensorSignature *s : *f->inputs())
      std::printf("  input  %s: %s%s\n", s->name()->c_str(),
                  dtypeName(s->dtype()), dims(*s->shape()).c_str());
    for (const fb::TensorSignature *s : *f->outputs())
      std::printf("  output %s: %s%s\n", s->name()->c_str(),
                  dtypeName(s->dtype()), dims(*s->shape()).c_str());
    if (f->caches())
      for (const fb::CachePair *c : *f->caches()) {
        std::printf("  cache  %s -> %s: ",
                    f->outputs()->Get(c->output())->name()->c_str(),
                    f->inputs()->Get(c->input())->name()->c_str());
        if (c->kind() == fb::CacheKind::append)
          std::printf("appends along axis %d%s\n", c->axis(),
                      c->in_place() ? ", in place" : "");
        else
          std::printf("replaces it (a state)\n");
      }
    std::fputs(hydra::inspect::headMapsText(*f).c_str(), stdout);
    for (const fb::Program *p : *f->programs()) {
      std::printf("  program for %s\n", fb::EnumNameDevice(p->device()));
      if (p->temporaries())
        for (size_t i = 0; i < p->temporaries()->size(); ++i)
          std::printf("    temporary %zu: %s%s\n", i,
                      dtypeName(p->temporaries()->Get(i)->dtype()),
                      dims(*p->temporaries()->Get(i)->shape()).c_str());
      for (const fb::Launch *l : *p->launches()) {
        const fb::Kernel *k = m.kernels()->Get(l->kernel());
        std::printf("    launch %s grid %s", k->name()->c_str(),
                    gridText(*l).c_str());
        std::optional<double> blocks = gridBlocks(*l, sizes);
        if (blocks && l->grid()->size())
          std::printf(" = %.0f", *blocks);
        if (k->device() == fb::Device::cuda)
          std::printf(" blocks of %u threads", k->block_size());
        std::printf(" on");
        for (size_t i = 0; i < l->buffers()->size(); ++i)
          std::printf("%s %s", i ? "," : "",
                      bufferName(*f, m, *l->buffers()->Get(i)).c_str());
        std::printf("\n      work: %s\n", costText(*l, sizes, blocks).c_str());
        if (gpu && k->device() == fb::Device::cuda)
          std::printf("      %s\n",
                      rooflineText(*gpu, *k, *l, sizes, blocks).c_str());
      }
    }
  }
  std::printf("\nkernels:\n");
  for (const fb::Kernel *k : *m.kernels()) {
    std::printf("  %s: %s, %u buffers", k->name()->c_str(),
                fb::EnumNameDevice(k->device()), k->num_buffers());
    if (k->device() == fb::Device::cuda)
      std::printf(", %u threads a block, %u bytes shared memory",
                  k->block_size(), k->shared_bytes());
    std::printf("\n");
  }
  std::printf("\nexecutables:\n");
  for (const fb::Executable *e : *m.executables()) {
    std::printf("  target %s, %s, %u bytes\n", e->target()->c_str(),
                fb::EnumNameExecutableFormat(e->format()), e->data()->size());
    if (e->cpu()) {
      std::printf("    cpu %s, needs:", e->cpu()->c_str());
      if (!e->cpu_features() || e->cpu_features()->size() == 0)
        std::printf(" no extensions beyond x86-64");
      else
        for (const flatbuffers::String *f : *e->cpu_features())
          std::printf(" %s", f->c_str());
      std::printf("\n");
    }
    if (e->resources())
      for (const fb::KernelResources *r : *e->resources())
        std::printf("    %s: %u registers, %u bytes spill stores, %u bytes "
                    "spill loads, %u bytes stack, %u bytes shared memory\n",
                    r->kernel()->c_str(), r->registers(), r->spill_stores(),
                    r->spill_loads(), r->stack_bytes(), r->shared_bytes());
  }
  if (m.constants() && m.constants()->size()) {
    std::printf("\nconstants:\n");
    for (const fb::Constant *c : *m.constants())
      std::printf("  %s: %s%s, %u bytes\n", c->name()->c_str(),
                  dtypeName(c->dtype()), dims(*c->shape()).c_str(),
                  c->data()->size());
  }
}

std::string jsonShape(const flatbuffers::Vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d = shape.Get(i);
    out += (i ? ", " : "") +
           (d < 0 ? quote("s" + std::to_string(-(d + 1))) : std::to_string(d));
  }
  return out + "]";
}

void printJson(const fb::Module &m, size_t bytes, const Sizes &given,
               const hydra::inspect::GpuPeaks *gpu) {
  std::printf("{\"bytes\": %zu, \"format_version\": %u, \"producer\": %s, "
              "\"source_sha256\": %s,\n \"functions\": [",
              bytes, m.format_version(),
              quote(m.producer() ? m.producer()->str() : "").c_str(),
              quote(m.source_hash() ? m.source_hash()->str() : "").c_str());
  for (size_t fi = 0; fi < m.functions()->size(); ++fi) {
    const fb::Function *f = m.functions()->Get(fi);
    Sizes sizes = withDerived(*f, given);
    std::printf("%s\n  {\"name\": %s, \"derived_symbols\": {", fi ? "," : "",
                quote(f->name()->str()).c_str());
    for (uint32_t i = hydra::rt::firstDerivedSymbol(*f); i < f->num_symbols();
         ++i)
      std::printf("%s\"s%u\": %s",
                  i == hydra::rt::firstDerivedSymbol(*f) ? "" : ", ", i,
                  quote(hydra::rt::derivedSymbolText(*f, i)).c_str());
    std::printf("}, \"inputs\": [");
    auto sigs = [&](const auto &list) {
      for (size_t i = 0; i < list.size(); ++i)
        std::printf("%s{\"name\": %s, \"dtype\": \"%s\", \"shape\": %s}",
                    i ? ", " : "", quote(list.Get(i)->name()->str()).c_str(),
                    dtypeName(list.Get(i)->dtype()),
                    jsonShape(*list.Get(i)->shape()).c_str());
    };
    sigs(*f->inputs());
    std::printf("], \"outputs\": [");
    sigs(*f->outputs());
    std::printf("], \"caches\": [");
    if (f->caches())
      for (size_t i = 0; i < f->caches()->size(); ++i) {
        const fb::CachePair *c = f->caches()->Get(i);
        std::printf("%s{\"input\": %u, \"output\": %u, \"kind\": \"%s\", "
                    "\"axis\": %d, \"in_place\": %s}",
                    i ? ", " : "", c->input(), c->output(),
                    fb::EnumNameCacheKind(c->kind()), c->axis(),
                    c->in_place() ? "true" : "false");
      }
    std::printf("], \"attention_layers\": %s",
                hydra::inspect::headMapsJson(*f).c_str());
    std::printf(", \"num_symbols\": %u, \"size_checks\": [", f->num_symbols());
    if (f->size_checks())
      for (size_t i = 0; i < f->size_checks()->size(); ++i) {
        const fb::SizeCheck *c = f->size_checks()->Get(i);
        auto operand = [](const fb::SizeOperand &o) {
          return o.symbol() >= 0 ? quote("s" + std::to_string(o.symbol()))
                                 : std::to_string(o.value());
        };
        std::printf("%s{\"lhs\": %s, \"rhs\": %s}", i ? ", " : "",
                    operand(c->lhs()).c_str(), operand(c->rhs()).c_str());
      }
    std::printf("]");
    std::printf(", \"programs\": [");
    for (size_t pi = 0; pi < f->programs()->size(); ++pi) {
      const fb::Program *p = f->programs()->Get(pi);
      std::printf("%s{\"device\": \"%s\", \"temporaries\": [", pi ? ", " : "",
                  fb::EnumNameDevice(p->device()));
      if (p->temporaries())
        for (size_t i = 0; i < p->temporaries()->size(); ++i)
          std::printf("%s{\"dtype\": \"%s\", \"shape\": %s}", i ? ", " : "",
                      dtypeName(p->temporaries()->Get(i)->dtype()),
                      jsonShape(*p->temporaries()->Get(i)->shape()).c_str());
      std::printf("], \"launches\": [");
      for (size_t li = 0; li < p->launches()->size(); ++li) {
        const fb::Launch *l = p->launches()->Get(li);
        std::optional<double> blocks = gridBlocks(*l, sizes);
        Cost flops = launchCost(l->flops(), sizes, blocks);
        Cost moved = launchCost(l->bytes(), sizes, blocks);
        auto number = [](const Cost &c) {
          return c.known ? hydra::inspect::jsonNumber(c.value)
                         : std::string("null");
        };
        std::string buffers;
        for (size_t b = 0; b < l->buffers()->size(); ++b)
          buffers +=
              (b ? ", " : "") + quote(bufferName(*f, m, *l->buffers()->Get(b)));
        std::string extra;
        if (gpu &&
            m.kernels()->Get(l->kernel())->device() == fb::Device::cuda) {
          auto r = launchRoofline(*gpu, *m.kernels()->Get(l->kernel()), *l,
                                  sizes, blocks);
          extra = ", \"roofline\": ";
          extra += r ? "{\"gpu\": " + quote(gpu->name) + ", \"seconds\": " +
                           hydra::inspect::jsonNumber(r->seconds) +
                           ", \"memory_bound\": " +
                           (r->memoryBound ? "true" : "false") +
                           ", \"sm_fill\": " +
                           hydra::inspect::jsonNumber(r->smFill) + "}"
                     : std::string("null");
        }
        std::printf("%s{\"kernel\": %u, \"grid\": %s, \"blocks\": %s, "
                    "\"buffers\": [%s], "
                    "\"flops\": %s, \"bytes\": %s, \"flops_terms\": %s, "
                    "\"bytes_terms\": %s%s}",
                    li ? ", " : "", l->kernel(), quote(gridText(*l)).c_str(),
                    blocks ? std::to_string(int64_t(*blocks)).c_str() : "null",
                    buffers.c_str(), number(flops).c_str(),
                    number(moved).c_str(), quote(flops.text).c_str(),
                    quote(moved.text).c_str(), extra.c_str());
      }
      std::printf("]}");
    }
    std::printf("]}");
  }
  std::printf("],\n \"kernels\": [");
  for (size_t i = 0; i < m.kernels()->size(); ++i) {
    const fb::Kernel *k = m.kernels()->Get(i);
    std::printf("%s{\"name\": %s, \"device\": \"%s\", \"block_size\": %u, "
                "\"shared_bytes\": %u}",
                i ? ", " : "", quote(k->name()->str()).c_str(),
                fb::EnumNameDevice(k->device()), k->block_size(),
                k->shared_bytes());
  }
  std::printf("],\n \"executables\": [");
  for (size_t i = 0; i < m.executables()->size(); ++i) {
    const fb::Executable *e = m.executables()->Get(i);
    std::printf("%s{\"target\": %s, \"format\": \"%s\", \"bytes\": %u, ",
                i ? ", " : "", quote(e->target()->str()).c_str(),
                fb::EnumNameExecutableFormat(e->format()), e->data()->size());
    if (e->cpu()) {
      std::printf("\"cpu\": %s, \"cpu_features\": [",
                  quote(e->cpu()->str()).c_str());
      if (e->cpu_features())
        for (size_t f = 0; f < e->cpu_features()->size(); ++f)
          std::printf("%s%s", f ? ", " : "",
                      quote(e->cpu_features()->Get(f)->str()).c_str());
      std::printf("], ");
    }
    std::printf("\"resources\": [");
    if (e->resources())
      for (size_t r = 0; r < e->resources()->size(); ++r) {
        const fb::KernelResources *k = e->resources()->Get(r);
        std::printf("%s{\"kernel\": %s, \"registers\": %u, "
                    "\"spill_stores\": %u, \"spill_loads\": %u, "
                    "\"stack_bytes\": %u, \"shared_bytes\": %u}",
                    r ? ", " : "", quote(k->kernel()->str()).c_str(),
                    k->registers(), k->spill_stores(), k->spill_loads(),
                    k->stack_bytes(), k->shared_bytes());
      }
    std::printf("]}");
  }
  std::printf("],\n \"constants\": [");
  if (m.constants())
    for (size_t i = 0; i < m.constants()->size(); ++i) {
      const fb::Constant *c = m.constants()->Get(i);
      std::printf("%s{\"name\": %s, \"dtype\": \"%s\", \"shape\": %s, "
                  "\"bytes\": %u}",
                  i ? ", " : "", quote(c->name()->str()).c_str(),
                  dtypeName(c->dtype()), jsonShape(*c->shape()).c_str(),
                  c->data()->size());
    }
  std::printf("]}\n");
}

/// Writes the executable named "TARGET:FORMAT" (sm_80:cubin) to `out`.
int extract(const fb::Module &m, const std::string &which,
            const std::string &out) {
  for (const fb::Executable *e : *m.executables()) {
    std::string name =
        e->target()->str() + ":" + fb::EnumNameExecutableFormat(e->format());
    if (name != which)
      continue;
    std::ofstream file(out, std::ios::binary);
    file.write(reinterpret_cast<const char *>(e->data()->data()),
               e->data()->size());
    if (!file) {
      std::fprintf(stderr, "hydra-inspect: cannot write '%s'\n", out.c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr, "hydra-inspect: no executable '%s' in the artifact\n",
               which.c_str());
  return 1;
}

/// Parses "s0=1,s1=4096".
bool parseSizes(const std::string &text, Sizes &sizes) {
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t eq = item.find('=');
    if (item.size() < 4 || item[0] != 's' || eq == std::string::npos)
      return false;
    char *end = nullptr;
    unsigned long symbol = std::strtoul(item.c_str() + 1, &end, 10);
    if (end != item.c_str() + eq)
      return false;
    double value = std::strtod(item.c_str() + eq + 1, &end);
    if (*end != '\0' || value < 0)
      return false;
    sizes[uint32_t(symbol)] = value;
  }
  return true;
}

const char *kUsage =
    "usage: hydra-inspect MODEL.hydra [--json] [--sizes s0=N,s1=M,...] "
    "[--gpu h100|h200|a100] [--head-map FILE.svg]\n"
    "         (--sizes binds size symbols to evaluate each launch's grid "
    "and work)\n"
    "       hydra-inspect MODEL.hydra --extract TARGET:FORMAT -o FILE\n"
    "         (e.g. sm_80:cubin, sm_90:ptx, x86_64:elf_shared_object)\n";

const char *kHelp =
    "\nVerifies a hydra artifact as the runtime does, then shows what it\n"
    "holds: its functions' signatures and cache pairs, the host program of\n"
    "each device (the launches and copies a call makes, with each kernel's\n"
    "grid, block and work), the executables per target with ptxas's\n"
    "registers, spills and shared memory per kernel, and the weights.\n\n"
    "  --json             the same as one JSON object\n"
    "  --sizes s0=N,...   bind the size symbols (s0, s1, ... as listed) to\n"
    "                     evaluate each launch's grid and work\n"
    "  --gpu NAME         with --sizes, each GPU launch's roofline time on\n"
    "                     that GPU (h100, h200, a100: datasheet peaks):\n"
    "                     FLOPs and bytes at its peaks, scaled by the SMs\n"
    "                     the grid fills; a lower bound, not a prediction\n"
    "  --head-map FILE.svg\n"
    "                     also draw each attention layer's heads: F (full,\n"
    "                     KV cached) and L (linear) per query head\n"
    "  --extract T:F -o FILE\n"
    "                     write one executable out: a target (x86_64,\n"
    "                     gpu-emulator, sm_80, ...) and its format (ptx,\n"
    "                     cubin, elf_shared_object)\n"
    "  --help, --version\n";
} // namespace

int main(int argc, char **argv) {
  std::string path, extractWhich, extractTo, headMapPath;
  Sizes sizes;
  bool json = false;
  const hydra::inspect::GpuPeaks *gpu = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("hydra-inspect %s (runtime library %s, reads artifact "
                  "format %u)\n",
                  HYDRA_VERSION_STRING, hydra_version(),
                  hydra_artifact_format_version());
      return 0;
    }
    if (arg == "--json")
      json = true;
    else if (arg == "--extract" && i + 1 < argc)
      extractWhich = argv[++i];
    else if (arg == "--head-map" && i + 1 < argc)
      headMapPath = argv[++i];
    else if (arg == "-o" && i + 1 < argc)
      extractTo = argv[++i];
    else if (arg == "--gpu" && i + 1 < argc) {
      gpu = hydra::inspect::findGpu(argv[++i]);
      if (!gpu) {
        std::fprintf(stderr,
                     "hydra-inspect: --gpu '%s' is not known (known: %s)\n",
                     argv[i], hydra::inspect::knownGpus().c_str());
        return 2;
      }
    } else if (arg == "--sizes" && i + 1 < argc) {
      if (!parseSizes(argv[++i], sizes)) {
        std::fprintf(stderr, "hydra-inspect: --sizes takes s0=N,s1=M,...\n");
        return 2;
      }
    } else if (argv[i][0] != '-' && path.empty())
      path = argv[i];
    else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (path.empty() || extractWhich.empty() != extractTo.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "hydra-inspect: cannot open '%s'\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  hydra_module *module = nullptr;
  if (hydra_status s =
          hydra_module_load_memory(bytes.data(), bytes.size(), &module)) {
    std::fprintf(stderr, "hydra-inspect: %s: %s\n", path.c_str(),
                 hydra_status_message(s));
    hydra_status_free(s);
    return 1;
  }
  hydra_module_free(module);
  const fb::Module *m = fb::GetModule(bytes.data());
  if (!extractWhich.empty())
    return extract(*m, extractWhich, extractTo);
  if (!headMapPath.empty()) {
    std::ofstream svg(headMapPath, std::ios::binary);
    svg << hydra::inspect::headMapsSvg(*m);
    if (!svg.flush()) {
      std::fprintf(stderr, "hydra-inspect: cannot write '%s'\n",
                   headMapPath.c_str());
      return 1;
    }
  }
  if (json)
    printJson(*m, bytes.size(), sizes, gpu);
  else
    printText(*m, bytes.size(), sizes, gpu);
  return 0;
}
