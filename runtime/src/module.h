//===- module.h - a loaded, verified artifact -------------------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_MODULE_H
#define HYDRA_RUNTIME_MODULE_H

#include "aligned_buffer.h"
#include "artifact_check.h"

struct hydra_module_s {
  hydra::rt::AlignedBuffer bytes; // a private, 64-byte aligned copy
  const hydra_artifact::Module *root = nullptr;

  const hydra_artifact::Function *function(size_t i) const {
    return root->functions()->Get(i);
  }
  /// The function named `name`, or null.
  const hydra_artifact::Function *findFunction(const char *name) const;
};

#endif // HYDRA_RUNTIME_MODULE_H
