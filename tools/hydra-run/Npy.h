//===- Npy.h - reading and writing NumPy .npy files ------------*- C++ -*-===//

#ifndef HYDRA_TOOLS_NPY_H
#define HYDRA_TOOLS_NPY_H

#include "hydra/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hydra::tools {

/// A dense array read from or written to a .npy file (version 1 or 2,
/// little-endian, C order).
struct NpyArray {
  hydra_dtype dtype = HYDRA_DTYPE_INVALID;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

/// Reads `path`; on failure returns false and sets `error`.
bool readNpy(const std::string &path, NpyArray &array, std::string &error);

/// Writes `tensor` to `path`; on failure returns false and sets `error`.
bool writeNpy(const std::string &path, const hydra_tensor &tensor,
              std::string &error);

} // namespace hydra::tools

#endif // HYDRA_TOOLS_NPY_H
