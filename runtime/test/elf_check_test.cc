// The kernel object check on the x86-64 code of a real artifact (the
// example 7:1 layer, compiled at build time): the object as the compiler
// wrote it passes, and each damaged loading table is refused with its
// fault named, before the dynamic loader would follow it.
#include "elf_check.h"
#include "hydra_artifact_generated.h"

#include "test_artifact.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace hydra;

namespace {
using hydra::test::artifactPath;

/// The artifact's x86-64 object, with helpers to find its tables.
struct KernelObject {
  std::vector<uint8_t> bytes;

  KernelObject() {
    std::ifstream in(artifactPath(), std::ios::binary);
    std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), {});
    auto *module = hydra_artifact::GetModule(file.data());
    for (const auto *e : *module->executables())
      if (e->target()->str() == "x86_64")
        bytes.assign(e->data()->begin(), e->data()->end());
  }

  template <typename T> T *at(uint64_t offset) {
    return reinterpret_cast<T *>(bytes.data() + offset);
  }
  Elf64_Ehdr *header() { return at<Elf64_Ehdr>(0); }
  Elf64_Phdr *segment(uint32_t type) {
    for (int i = 0; i < header()->e_phnum; ++i) {
      auto *p = at<Elf64_Phdr>(header()->e_phoff + i * sizeof(Elf64_Phdr));
      if (p->p_type == type)
        return p;
    }
    return nullptr;
  }
  /// The file offset of a loaded address.
  uint64_t offsetOf(uint64_t address) {
    for (int i = 0; i < header()->e_phnum; ++i) {
      auto *p = at<Elf64_Phdr>(header()->e_phoff + i * sizeof(Elf64_Phdr));
      if (p->p_type == PT_LOAD && address >= p->p_vaddr &&
          address < p->p_vaddr + p->p_filesz)
        return p->p_offset + (address - p->p_vaddr);
    }
    ADD_FAILURE() << "address " << address << " is not in the file";
    return 0;
  }
  /// The first dynamic entry of `tag`.
  Elf64_Dyn *dynamic(int64_t tag) {
    for (auto *d = at<Elf64_Dyn>(segment(PT_DYNAMIC)->p_offset);
         d->d_tag != DT_NULL; ++d)
      if (d->d_tag == tag)
        return d;
    ADD_FAILURE() << "no dynamic entry " << tag;
    return nullptr;
  }

  std::string check() {
    hydra_status s =
        rt::checkKernelObject(bytes.data(), bytes.size(), "x86_64");
    std::string m = s ? hydra_status_message(s) : "ok";
    hydra_status_free(s);
    return m;
  }
};

#define EXPECT_FAULT(object, text)                                             \
  EXPECT_NE((object).check().find(text), std::string::npos) << (object).check()
} // namespace

TEST(ElfCheck, AcceptsTheCompilersObject) {
  KernelObject o;
  ASSERT_FALSE(o.bytes.empty());
  EXPECT_EQ(o.check(), "ok");
}

TEST(ElfCheck, RefusesBadHeaders) {
  KernelObject o;
  o.bytes.resize(40);
  EXPECT_FAULT(o, "no ELF header");
  KernelObject arm;
  arm.header()->e_machine = EM_AARCH64;
  EXPECT_FAULT(arm, "not a little-endian 64-bit x86-64 shared object");
  KernelObject far;
  far.header()->e_phoff = far.bytes.size() - 8;
  EXPECT_FAULT(far, "program header 0 lies outside the file");
  KernelObject load;
  load.segment(PT_LOAD)->p_filesz = load.bytes.size() + 1;
  EXPECT_FAULT(load, "loadable segment 1 lies outside the file");
  KernelObject hidden; // the headers and tables mapped without access
  hidden.segment(PT_LOAD)->p_flags = 0;
  EXPECT_FAULT(hidden, "the program headers lie in an unreadable segment");
  KernelObject stack;
  stack.segment(PT_GNU_STACK)->p_flags |= PF_X;
  EXPECT_FAULT(stack, "an executable stack");
  KernelObject tls;
  tls.segment(PT_GNU_STACK)->p_type = PT_TLS;
  EXPECT_FAULT(tls, "a segment of type 7 (hydra's kernels have none)");
  KernelObject wild; // found by the fuzzer: dlopen reads headers there
  wild.segment(PT_PHDR)->p_vaddr = 0x2100000040;
  wild.segment(PT_PHDR)->p_memsz = 0;
  EXPECT_FAULT(wild, "the program headers' segment lies outside the loaded");
  KernelObject order;
  order.segment(PT_LOAD)->p_vaddr = 0x100000; // after the ones that follow
  order.segment(PT_LOAD)->p_paddr = 0x100000;
  EXPECT_FAULT(order, "loadable segment 2 overlaps or precedes the one");
}

TEST(ElfCheck, RefusesDynamicTablesItDoesNotExpect) {
  KernelObject init;
  init.dynamic(DT_HASH)->d_tag = DT_INIT;
  EXPECT_FAULT(init, "a dynamic entry of tag 12 (hydra's kernels have none)");
  KernelObject endless;
  endless.segment(PT_DYNAMIC)->p_filesz = sizeof(Elf64_Dyn);
  EXPECT_FAULT(endless, "the dynamic table has no end");
  KernelObject readOnly; // the loader writes the table's addresses
  Elf64_Phdr *dynamic = readOnly.segment(PT_DYNAMIC);
  for (int i = 0; i < readOnly.header()->e_phnum; ++i) {
    auto *p = readOnly.at<Elf64_Phdr>(readOnly.header()->e_phoff +
                                      i * sizeof(Elf64_Phdr));
    if (p->p_type == PT_LOAD && p->p_vaddr <= dynamic->p_vaddr &&
        dynamic->p_vaddr < p->p_vaddr + p->p_memsz)
      p->p_flags = PF_R | PF_X;
  }
  EXPECT_FAULT(readOnly, "a writable dynamic table in a read-only segment");
  KernelObject twice;
  twice.dynamic(DT_HASH)->d_tag = DT_SYMTAB;
  EXPECT_FAULT(twice, "two dynamic entries of tag 6");
}

TEST(ElfCheck, RefusesOtherLibrariesAndUnendedStrings) {
  KernelObject o;
  uint64_t strtab = o.offsetOf(o.dynamic(DT_STRTAB)->d_un.d_ptr);
  char *name = o.at<char>(strtab + o.dynamic(DT_NEEDED)->d_un.d_val);
  ASSERT_STREQ(name, "libm.so.6");
  std::memcpy(name, "libz", 4);
  EXPECT_FAULT(o, "it needs the library 'libz.so.6'");
  KernelObject unended;
  unended.dynamic(DT_STRSZ)->d_un.d_val -= 1;
  EXPECT_FAULT(unended, "the string table does not end in a NUL");
  KernelObject outside;
  outside.dynamic(DT_STRTAB)->d_un.d_ptr = 1 << 30;
  EXPECT_FAULT(outside, "the string table (");
}

TEST(ElfCheck, RefusesHashTablesThatLeadOutside) {
  KernelObject o;
  uint64_t hash = o.offsetOf(o.dynamic(DT_HASH)->d_un.d_ptr);
  uint32_t *words = o.at<uint32_t>(hash); // nbucket, nchain, buckets...
  words[2] = words[1];
  EXPECT_FAULT(o, "a hash table entry beyond the symbols");
  KernelObject gnu;
  uint64_t g = gnu.offsetOf(gnu.dynamic(DT_GNU_HASH)->d_un.d_ptr);
  gnu.at<uint32_t>(g)[1] = 1u << 30; // symoffset
  EXPECT_FAULT(gnu, "a GNU hash table without buckets or beyond the symbols");
}

TEST(ElfCheck, RefusesRelocationsThatWriteOutside) {
  KernelObject o;
  uint64_t plt = o.offsetOf(o.dynamic(DT_JMPREL)->d_un.d_ptr);
  Elf64_Rela *r = o.at<Elf64_Rela>(plt);
  uint64_t info = r->r_info;
  r->r_offset = 0x10; // the read-only headers
  EXPECT_FAULT(o, "a relocation that writes outside the writable segments");
  r->r_offset = o.dynamic(DT_PLTGOT)->d_un.d_ptr + 24;
  r->r_info = ELF64_R_INFO(ELF64_R_SYM(info), R_X86_64_COPY);
  EXPECT_FAULT(o, "a relocation of type 5");
  r->r_info = ELF64_R_INFO(1000, R_X86_64_JUMP_SLOT);
  EXPECT_FAULT(o, "a relocation of a symbol beyond the table");
  KernelObject rel;
  rel.dynamic(DT_PLTREL)->d_un.d_val = DT_REL;
  EXPECT_FAULT(rel, "procedure linkage relocations that are not RELA");
  KernelObject size;
  size.dynamic(DT_PLTRELSZ)->d_un.d_val += 8;
  EXPECT_FAULT(size, "without an address or size");
}
