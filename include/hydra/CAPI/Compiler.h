/*===- hydra/CAPI/Compiler.h - the compiler's C API ---------------------===*
 *
 * For bindings (the Python package): compile a model held in memory into
 * artifact bytes. Lives in libhydra_compiler.so, which links MLIR/LLVM;
 * the runtime (hydra/runtime.h) does not.
 *
 *===--------------------------------------------------------------------===*/

#ifndef HYDRA_CAPI_COMPILER_H
#define HYDRA_CAPI_COMPILER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compiles `model` (`size` bytes; `format` "onnx", "mlir", or "auto" or
 * NULL to decide by content) for the comma-separated `targets` ("cpu").
 * On success returns 0 and sets `*artifact`/`*artifact_size` (free with
 * hydra_compiler_free). On failure returns non-zero and sets `*error` to
 * the diagnostics (free it too). An ONNX model in memory cannot refer to
 * external data; use hydra_compile_file. */
__attribute__((visibility("default"))) int
hydra_compile(const void *model, size_t size, const char *format,
              const char *targets, char **artifact, size_t *artifact_size,
              char **error);

/* The same for the model file at `path`; ONNX external data is resolved
 * against its directory. */
__attribute__((visibility("default"))) int
hydra_compile_file(const char *path, const char *format, const char *targets,
                   char **artifact, size_t *artifact_size, char **error);

__attribute__((visibility("default"))) void hydra_compiler_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* HYDRA_CAPI_COMPILER_H */
