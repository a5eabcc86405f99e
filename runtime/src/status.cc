//===- status.cc - hydra_status accessors ---------------------------------===//

#include "status.h"

extern "C" hydra_status_code hydra_status_get_code(hydra_status status) {
  return status ? status->code : HYDRA_OK;
}

extern "C" const char *hydra_status_message(hydra_status status) {
  return status ? status->message.c_str() : "";
}

hydra_status hydra::rt::outOfMemoryStatus() {
  static hydra_status_s status{HYDRA_INTERNAL, "out of memory"};
  return &status;
}

extern "C" void hydra_status_free(hydra_status status) {
  if (status != hydra::rt::outOfMemoryStatus())
    delete status;
}
