//===- status.cc - hydra_status accessors ---------------------------------===//

#include "status.h"

extern "C" hydra_status_code hydra_status_get_code(hydra_status status) {
  return status ? status->code : HYDRA_OK;
}

extern "C" const char *hydra_status_message(hydra_status status) {
  return status ? status->message.c_str() : "";
}

extern "C" void hydra_status_free(hydra_status status) { delete status; }
