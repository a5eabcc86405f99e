//===- elf_check.cc - x86-64 kernel objects checked before loading --------===//
//
// What glibc's loader reads of a shared object, in the order it reads it:
// the program headers, the dynamic table, the libraries it needs, the
// version tables, the relocations (with their symbols and versions) and,
// for dlsym, the hash tables. Every address in those tables is checked to
// lie inside a loadable segment's bytes from the file (or, for what the
// loader writes, inside a writable segment), every index inside its
// table, and every walk to end inside its table.
//
//===----------------------------------------------------------------------===//

#include "elf_check.h"
#include "status.h"

#include <cstring>
#include <elf.h>
#include <map>
#include <string>
#include <vector>

using namespace hydra;
using namespace hydra::rt;

namespace {
// Sizes beyond these are no kernel object's (and keep sums from wrapping).
constexpr uint64_t kMaxAddress = uint64_t(1) << 30;
constexpr uint64_t kPageSize = 4096;
constexpr uint32_t kMaxProgramHeaders = 64;
constexpr uint32_t kMaxVersionEntries = 64;

class ObjectCheck {
public:
  ObjectCheck(const uint8_t *data, size_t size, const char *target)
      : data_(data), size_(size), target_(target) {}

  hydra_status run();

private:
  hydra_status fault(const std::string &what) const {
    return makeStatus(HYDRA_INVALID_ARTIFACT, "invalid artifact: the ", target_,
                      " code is not a loadable kernel object: ", what);
  }

  /// A T at file offset `offset`, if the file holds one there.
  template <typename T> bool read(uint64_t offset, T &out) const {
    if (offset > size_ || size_ - offset < sizeof(T))
      return false;
    std::memcpy(&out, data_ + offset, sizeof(T));
    return true;
  }

  /// The file offset of [address, address + length) if a readable
  /// loadable segment holds all of it in its bytes from the file (the
  /// loader reads its tables where they are mapped).
  bool fileOffset(uint64_t address, uint64_t length, uint64_t &offset) const {
    for (const Elf64_Phdr &p : loads_)
      if ((p.p_flags & PF_R) && address >= p.p_vaddr && length <= p.p_filesz &&
          address - p.p_vaddr <= p.p_filesz - length) {
        offset = p.p_offset + (address - p.p_vaddr);
        return true;
      }
    return false;
  }

  /// Whether a segment maps [address, address + length), writable if asked.
  bool mapped(uint64_t address, uint64_t length, bool writable) const {
    for (const Elf64_Phdr &p : loads_)
      if ((!writable || (p.p_flags & PF_W)) && address >= p.p_vaddr &&
          length <= p.p_memsz && address - p.p_vaddr <= p.p_memsz - length)
        return true;
    return false;
  }

  /// The file offset of the table the dynamic entry `tag` points at,
  /// `length` bytes long.
  hydra_status table(int64_t tag, uint64_t length, const char *name,
                     uint64_t &offset) const {
    if (!fileOffset(dynamic_.at(tag), length, offset))
      return fault(std::string("the ") + name + " (" + std::to_string(length) +
                   " bytes) lies outside the object's loaded bytes");
    return nullptr;
  }

  bool has(int64_t tag) const { return dynamic_.count(tag) != 0; }

  hydra_status checkHeaders();
  hydra_status checkDynamicTable();
  hydra_status checkStrings();
  hydra_status checkSymbols();
  hydra_status checkGnuHash();
  hydra_status checkVersions();
  hydra_status checkRelocations(int64_t tableTag, int64_t sizeTag,
                                const char *name);

  const uint8_t *data_;
  size_t size_;
  const char *target_;
  std::vector<Elf64_Phdr> loads_;
  Elf64_Phdr dynamicSegment_{};
  std::map<int64_t, uint64_t> dynamic_; // tag → value (DT_NEEDED apart)
  std::vector<uint64_t> needed_;        // DT_NEEDED string offsets
  uint64_t strtab_ = 0, strsz_ = 0;     // file offset and size
  uint64_t numSymbols_ = 0;
};

hydra_status ObjectCheck::checkHeaders() {
  Elf64_Ehdr eh;
  if (!read(0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return fault("no ELF header");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_DYN ||
      eh.e_machine != EM_X86_64)
    return fault("not a little-endian 64-bit x86-64 shared object");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum > kMaxProgramHeaders)
    return fault("program headers of " + std::to_string(eh.e_phnum) +
                 " entries of " + std::to_string(eh.e_phentsize) + " bytes");
  bool hasDynamic = false;
  std::vector<Elf64_Phdr> others;
  for (uint32_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr p;
    if (!read(eh.e_phoff + uint64_t(i) * sizeof p, p))
      return fault("program header " + std::to_string(i) +
                   " lies outside the file");
    switch (p.p_type) {
    case PT_LOAD:
      if (p.p_offset > size_ || p.p_filesz > size_ - p.p_offset ||
          p.p_filesz > p.p_memsz || p.p_vaddr > kMaxAddress ||
          p.p_memsz > kMaxAddress - p.p_vaddr)
        return fault("loadable segment " + std::to_string(i) +
                     " lies outside the file or the address range");
      // The loader reserves the span from the first segment to the last
      // and maps each at its place inside: out of order or overlapping
      // pages would map over memory outside the reservation.
      if (!loads_.empty() &&
          p.p_vaddr / kPageSize * kPageSize <
              (loads_.back().p_vaddr + loads_.back().p_memsz + kPageSize - 1) /
                  kPageSize * kPageSize)
        return fault("loadable segment " + std::to_string(i) +
                     " overlaps or precedes the one before it");
      loads_.push_back(p);
      break;
    case PT_DYNAMIC:
      if (hasDynamic)
        return fault("two dynamic segments");
      hasDynamic = true;
      dynamicSegment_ = p;
      break;
    case PT_GNU_STACK:
      if (p.p_flags & PF_X)
        return fault("an executable stack");
      break;
    case PT_NULL:
      break;
    case PT_PHDR:
    case PT_GNU_RELRO:
    case PT_GNU_EH_FRAME:
      others.push_back(p);
      break;
    default: // an interpreter, thread-local storage, notes the loader parses
      return fault("a segment of type " + std::to_string(p.p_type) +
                   " (hydra's kernels have none)");
    }
  }
  if (!hasDynamic)
    return fault("no dynamic segment");
  // The loader reads the program headers where a segment maps them.
  uint64_t headers = uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr);
  for (const Elf64_Phdr &p : loads_)
    if (p.p_offset <= eh.e_phoff && eh.e_phoff - p.p_offset <= p.p_filesz &&
        p.p_filesz - (eh.e_phoff - p.p_offset) >= headers &&
        !(p.p_flags & PF_R))
      return fault("the program headers lie in an unreadable segment");
  // The loader reads the headers where they are mapped and protects the
  // read-only-after-relocation range.
  uint64_t offset;
  for (const Elf64_Phdr &p : others) {
    // The loader reads e_phnum program headers at a PHDR segment's
    // address, whatever its sizes say (a fuzzed one of size 0 at a wild
    // address crashed dlopen).
    if (p.p_type == PT_PHDR) {
      if (!fileOffset(p.p_vaddr, headers, offset) ||
          !mapped(p.p_vaddr, headers, false))
        return fault("the program headers' segment lies outside the loaded "
                     "bytes");
      continue;
    }
    if (p.p_type == PT_GNU_RELRO
            ? !mapped(p.p_vaddr, p.p_memsz, false)
            : p.p_memsz > 0 && !fileOffset(p.p_vaddr, p.p_memsz, offset))
      return fault("a segment of type " + std::to_string(p.p_type) +
                   " lies outside the loaded bytes");
  }
  return nullptr;
}

hydra_status ObjectCheck::checkDynamicTable() {
  uint64_t offset;
  if (dynamicSegment_.p_filesz < sizeof(Elf64_Dyn) ||
      !fileOffset(dynamicSegment_.p_vaddr, dynamicSegment_.p_filesz, offset) ||
      !mapped(dynamicSegment_.p_vaddr, dynamicSegment_.p_filesz, false))
    return fault("the dynamic table lies outside the loaded bytes");
  // A writable dynamic segment tells the loader it may relocate the
  // table's addresses in place: it must be writable where it is mapped.
  if ((dynamicSegment_.p_flags & PF_W) &&
      !mapped(dynamicSegment_.p_vaddr, dynamicSegment_.p_filesz, true))
    return fault("a writable dynamic table in a read-only segment");
  for (uint64_t i = 0;; ++i) {
    Elf64_Dyn d;
    if ((i + 1) * sizeof d > dynamicSegment_.p_filesz ||
        !read(offset + i * sizeof d, d))
      return fault("the dynamic table has no end");
    switch (d.d_tag) {
    case DT_NULL:
      return nullptr;
    case DT_NEEDED:
      needed_.push_back(d.d_un.d_val);
      continue;
    // What lld writes for a kernel object; nothing that runs code or
    // searches directories at load.
    case DT_PLTRELSZ:
    case DT_PLTGOT:
    case DT_HASH:
    case DT_STRTAB:
    case DT_SYMTAB:
    case DT_RELA:
    case DT_RELASZ:
    case DT_RELAENT:
    case DT_STRSZ:
    case DT_SYMENT:
    case DT_SONAME:
    case DT_PLTREL:
    case DT_JMPREL:
    case DT_BIND_NOW:
    case DT_FLAGS:
    case DT_FLAGS_1:
    case DT_RELACOUNT:
    case DT_GNU_HASH:
    case DT_VERSYM:
    case DT_VERNEED:
    case DT_VERNEEDNUM:
      if (!dynamic_.insert({d.d_tag, d.d_un.d_val}).second)
        return fault("two dynamic entries of tag " + std::to_string(d.d_tag));
      continue;
    default:
      return fault("a dynamic entry of tag " + std::to_string(d.d_tag) +
                   " (hydra's kernels have none)");
    }
  }
}

hydra_status ObjectCheck::checkStrings() {
  if (!has(DT_STRTAB) || !has(DT_STRSZ) || dynamic_.at(DT_STRSZ) == 0)
    return fault("no string table");
  strsz_ = dynamic_.at(DT_STRSZ);
  HYDRA_RETURN_IF_ERROR(table(DT_STRTAB, strsz_, "string table", strtab_));
  // Every name starts inside the table, which ends in a NUL: no string
  // runs past it.
  if (data_[strtab_ + strsz_ - 1] != 0)
    return fault("the string table does not end in a NUL");
  if (has(DT_SONAME) && dynamic_.at(DT_SONAME) >= strsz_)
    return fault("the object's name lies outside the string table");
  for (uint64_t name : needed_) {
    if (name >= strsz_)
      return fault("a needed library's name lies outside the string table");
    std::string library(reinterpret_cast<const char *>(data_ + strtab_ + name));
    if (library != "libm.so.6" && library != "libc.so.6")
      return fault("it needs the library '" + library +
                   "' (kernels need libm and libc only)");
  }
  return nullptr;
}

hydra_status ObjectCheck::checkSymbols() {
  // DT_HASH says how many symbols there are (its chain count).
  if (!has(DT_SYMTAB) || !has(DT_HASH) || !has(DT_SYMENT) ||
      dynamic_.at(DT_SYMENT) != sizeof(Elf64_Sym))
    return fault("no symbol table of 24-byte entries with a hash table");
  uint64_t hash;
  HYDRA_RETURN_IF_ERROR(table(DT_HASH, 8, "hash table", hash));
  uint32_t numBuckets, numChains;
  read(hash, numBuckets);
  read(hash + 4, numChains);
  HYDRA_RETURN_IF_ERROR(table(
      DT_HASH, 8 + 4 * (uint64_t(numBuckets) + numChains), "hash table", hash));
  if (numBuckets == 0)
    return fault("a hash table without buckets");
  for (uint64_t i = 0; i < uint64_t(numBuckets) + numChains; ++i) {
    uint32_t next;
    read(hash + 8 + 4 * i, next);
    if (next >= numChains)
      return fault("a hash table entry beyond the symbols");
  }
  numSymbols_ = numChains;
  uint64_t symtab;
  HYDRA_RETURN_IF_ERROR(table(DT_SYMTAB, numSymbols_ * sizeof(Elf64_Sym),
                              "symbol table", symtab));
  for (uint64_t i = 0; i < numSymbols_; ++i) {
    Elf64_Sym s;
    read(symtab + i * sizeof s, s);
    if (s.st_name >= strsz_)
      return fault("symbol " + std::to_string(i) +
                   "'s name lies outside the string table");
    unsigned type = ELF64_ST_TYPE(s.st_info);
    if (type == STT_TLS || type == STT_GNU_IFUNC)
      return fault("symbol " + std::to_string(i) +
                   " is thread-local or an indirect function");
    if (s.st_shndx != SHN_UNDEF && s.st_shndx != SHN_ABS &&
        !mapped(s.st_value, 1, false))
      return fault("symbol " + std::to_string(i) +
                   " lies outside the loaded segments");
  }
  return nullptr;
}

hydra_status ObjectCheck::checkGnuHash() {
  if (!has(DT_GNU_HASH))
    return nullptr;
  uint64_t offset;
  HYDRA_RETURN_IF_ERROR(table(DT_GNU_HASH, 16, "GNU hash table", offset));
  uint32_t numBuckets, symbolOffset, bloomWords, bloomShift;
  read(offset, numBuckets);
  read(offset + 4, symbolOffset);
  read(offset + 8, bloomWords);
  read(offset + 12, bloomShift);
  if (numBuckets == 0 || bloomWords == 0 || symbolOffset > numSymbols_)
    return fault("a GNU hash table without buckets or beyond the symbols");
  uint64_t buckets = 16 + 8 * uint64_t(bloomWords);
  uint64_t chains = buckets + 4 * uint64_t(numBuckets);
  uint64_t numChained = numSymbols_ - symbolOffset;
  HYDRA_RETURN_IF_ERROR(
      table(DT_GNU_HASH, chains + 4 * numChained, "GNU hash table", offset));
  for (uint64_t i = 0; i < numBuckets; ++i) {
    uint32_t first;
    read(offset + buckets + 4 * i, first);
    if (first != 0 && (first < symbolOffset || first >= numSymbols_))
      return fault("a GNU hash bucket beyond the symbols");
  }
  // A walk stops at an entry with its low bit set: the last one has it,
  // so no walk runs past the chains.
  uint32_t last = 1;
  if (numChained > 0)
    read(offset + chains + 4 * (numChained - 1), last);
  if (!(last & 1))
    return fault("a GNU hash chain without an end");
  return nullptr;
}

hydra_status ObjectCheck::checkVersions() {
  if (!has(DT_VERNEED) && !has(DT_VERNEEDNUM) && !has(DT_VERSYM))
    return nullptr;
  // The loader indexes its version array (as long as the largest index
  // the needs name) by each symbol's version without a bound check.
  if (!has(DT_VERNEED) || !has(DT_VERNEEDNUM) || !has(DT_VERSYM))
    return fault("version tables without their needs or indices");
  uint64_t count = dynamic_.at(DT_VERNEEDNUM);
  if (count == 0 || count > kMaxVersionEntries)
    return fault(std::to_string(count) + " version needs");
  uint64_t need;
  HYDRA_RETURN_IF_ERROR(
      table(DT_VERNEED, sizeof(Elf64_Verneed), "version needs", need));
  uint64_t address = dynamic_.at(DT_VERNEED);
  uint32_t largest = 1;
  for (uint64_t n = 0; n < count; ++n) {
    Elf64_Verneed v;
    if (!fileOffset(address, sizeof v, need))
      return fault("a version need lies outside the loaded bytes");
    read(need, v);
    if (v.vn_file >= strsz_ || v.vn_cnt == 0 || v.vn_cnt > kMaxVersionEntries)
      return fault("a version need of a bad name or count");
    uint64_t auxAddress = address + v.vn_aux;
    for (uint32_t a = 0; a < v.vn_cnt; ++a) {
      Elf64_Vernaux x;
      uint64_t aux;
      if (auxAddress > kMaxAddress || !fileOffset(auxAddress, sizeof x, aux))
        return fault("a version lies outside the loaded bytes");
      read(aux, x);
      if (x.vna_name >= strsz_)
        return fault("a version's name lies outside the string table");
      largest = std::max<uint32_t>(largest, x.vna_other & 0x7fff);
      if (a + 1 < v.vn_cnt && x.vna_next == 0)
        return fault("a version list shorter than its count");
      auxAddress += x.vna_next;
    }
    if (n + 1 < count && v.vn_next == 0)
      return fault("a version need list shorter than its count");
    address += v.vn_next;
    if (address > kMaxAddress)
      return fault("a version need lies outside the loaded bytes");
  }
  uint64_t versym;
  HYDRA_RETURN_IF_ERROR(
      table(DT_VERSYM, 2 * numSymbols_, "symbol versions", versym));
  for (uint64_t i = 0; i < numSymbols_; ++i) {
    uint16_t version;
    read(versym + 2 * i, version);
    if ((version & 0x7fff) > largest)
      return fault("symbol " + std::to_string(i) +
                   " names a version no need defines");
  }
  return nullptr;
}

hydra_status ObjectCheck::checkRelocations(int64_t tableTag, int64_t sizeTag,
                                           const char *name) {
  if (!has(tableTag) && !has(sizeTag))
    return nullptr;
  if (!has(tableTag) || !has(sizeTag) ||
      dynamic_.at(sizeTag) % sizeof(Elf64_Rela) != 0)
    return fault(std::string("the ") + name + " without an address or size");
  uint64_t size = dynamic_.at(sizeTag), offset;
  HYDRA_RETURN_IF_ERROR(table(tableTag, size, name, offset));
  // The loader applies the first DT_RELACOUNT ones as relative without
  // reading their type.
  uint64_t relative =
      tableTag == DT_RELA && has(DT_RELACOUNT) ? dynamic_.at(DT_RELACOUNT) : 0;
  for (uint64_t i = 0; i < size / sizeof(Elf64_Rela); ++i) {
    Elf64_Rela r;
    read(offset + i * sizeof r, r);
    uint64_t type = ELF64_R_TYPE(r.r_info), symbol = ELF64_R_SYM(r.r_info);
    if ((type != R_X86_64_64 && type != R_X86_64_GLOB_DAT &&
         type != R_X86_64_JUMP_SLOT && type != R_X86_64_RELATIVE) ||
        (i < relative && type != R_X86_64_RELATIVE))
      return fault(std::string("a relocation of type ") + std::to_string(type) +
                   " in the " + name);
    if (symbol >= numSymbols_)
      return fault(std::string("a relocation of a symbol beyond the table "
                               "in the ") +
                   name);
    if (!mapped(r.r_offset, 8, /*writable=*/true))
      return fault(std::string("a relocation that writes outside the "
                               "writable segments in the ") +
                   name);
  }
  return nullptr;
}

hydra_status ObjectCheck::run() {
  HYDRA_RETURN_IF_ERROR(checkHeaders());
  HYDRA_RETURN_IF_ERROR(checkDynamicTable());
  HYDRA_RETURN_IF_ERROR(checkStrings());
  HYDRA_RETURN_IF_ERROR(checkSymbols());
  HYDRA_RETURN_IF_ERROR(checkGnuHash());
  HYDRA_RETURN_IF_ERROR(checkVersions());
  if (has(DT_RELA) || has(DT_RELASZ) || has(DT_RELAENT)) {
    if (!has(DT_RELAENT) || dynamic_.at(DT_RELAENT) != sizeof(Elf64_Rela))
      return fault("relocations that are not of 24 bytes each");
    if (has(DT_RELACOUNT) && has(DT_RELASZ) &&
        dynamic_.at(DT_RELACOUNT) > dynamic_.at(DT_RELASZ) / sizeof(Elf64_Rela))
      return fault("more relative relocations than relocations");
  } else if (has(DT_RELACOUNT)) {
    return fault("a relative relocation count without relocations");
  }
  HYDRA_RETURN_IF_ERROR(checkRelocations(DT_RELA, DT_RELASZ, "relocations"));
  // (The loader asserts DT_PLTREL is DT_RELA wherever it is given.)
  if ((has(DT_JMPREL) && !has(DT_PLTREL)) ||
      (has(DT_PLTREL) && dynamic_.at(DT_PLTREL) != DT_RELA))
    return fault("procedure linkage relocations that are not RELA");
  HYDRA_RETURN_IF_ERROR(checkRelocations(DT_JMPREL, DT_PLTRELSZ,
                                         "procedure linkage relocations"));
  // The loader fills the first three entries of the global offset table.
  if (has(DT_PLTGOT) && !mapped(dynamic_.at(DT_PLTGOT), 24, true))
    return fault("the global offset table lies outside the writable segments");
  return nullptr;
}
} // namespace

hydra_status hydra::rt::checkKernelObject(const uint8_t *data, size_t size,
                                          const char *target) {
  return ObjectCheck(data, size, target).run();
}
