//===- elf_check.h - x86-64 kernel objects checked before loading -*- C++
//-*-===//
//
// The CPU code of an artifact is an ELF shared object that the system's
// dynamic loader maps and relocates. The loader trusts what the object
// says: a dynamic table, a hash table or a relocation that points outside
// the object makes it read or write wherever that points. The artifact's
// checksum catches accidental damage, not a consistent buffer built around
// bad tables, so the runtime checks the object's loading metadata itself
// before handing it to dlopen.
//
//===----------------------------------------------------------------------===//

#ifndef HYDRA_RUNTIME_ELF_CHECK_H
#define HYDRA_RUNTIME_ELF_CHECK_H

#include "hydra/runtime.h"

#include <cstddef>
#include <cstdint>

namespace hydra::rt {

/// Checks that `data` is an x86-64 shared object whose loading reads and
/// writes only inside it: the ELF and program headers, loadable segments
/// inside the file, one dynamic table of the entries hydra's linker writes
/// (no initializers, no search paths, no libraries but libm and libc), its
/// string, symbol, hash and version tables, and relocations of the kinds
/// x86-64 kernels use, each writing inside a writable segment. Returns an
/// HYDRA_INVALID_ARTIFACT status naming the first fault, or nullptr.
hydra_status checkKernelObject(const uint8_t *data, size_t size,
                               const char *target);

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_ELF_CHECK_H
