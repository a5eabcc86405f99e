//===- status.h - hydra_status objects --------------------------*- C++ -*-===//

#ifndef HYDRA_RUNTIME_STATUS_H
#define HYDRA_RUNTIME_STATUS_H

#include "hydra/runtime.h"

#include <exception>
#include <new>
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

/// "out of memory", for when even a message cannot be allocated: a static
/// status that hydra_status_free leaves alone.
hydra_status outOfMemoryStatus();

/// Runs `body` (returning a hydra_status) and turns any C++ exception it
/// throws into a status naming `call`: nothing may unwind through the C
/// API (std::thread's system_error, bad_alloc from a huge vector).
template <typename Fn>
hydra_status guarded(const char *call, Fn &&body) noexcept {
  try {
    try {
      return body();
    } catch (const std::bad_alloc &) {
      return makeStatus(HYDRA_INTERNAL, call, ": out of memory");
    } catch (const std::exception &e) {
      return makeStatus(HYDRA_INTERNAL, call, ": ", e.what());
    } catch (...) {
      return makeStatus(HYDRA_INTERNAL, call, ": unknown C++ exception");
    }
  } catch (...) { // building the message failed too
    return outOfMemoryStatus();
  }
}

/// Returns from the enclosing function if `expr` is a failed status.
#define HYDRA_RETURN_IF_ERROR(expr)                                            \
  do {                                                                         \
    if (hydra_status hydraStatus_ = (expr))                                    \
      return hydraStatus_;                                                     \
  } while (0)

} // namespace hydra::rt

#endif // HYDRA_RUNTIME_STATUS_H
