//===- status.h - hydra_status objects --------------------------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_STATUS_H
#define HYDRA_RUNTIME_STATUS_H

#include "hydra/runtime.h"

#include <sstream>
#include <string>

struct hydra_status_s {
  hydra_status_code code;
  std::string message;
};

namespace hydra::rt {

/// A status with `code` and the streamed `parts` as its message.
template <typename... Parts>
hydra_status makeStatus(hydra_status_code code, const Parts &...parts) {
  std::ostringstream os;
  (os << ... << parts);
  return new hydra_status_s{code, os.str()};
}

/// Returns from the enclosing function if `expr` is a failed status.
#define HYDRA_RETURN_IF_ERROR(expr)                                            \
  do {                                                                         \
    if (hydra_status hydraStatus_ = (expr))                                    \
      return hydraStatus_;                                                     \
  } while (0)

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_STATUS_H
