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
#include <stdint.h>

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

/* What hydra-compile's options set; zero-initialize, set `struct_size`
 * to sizeof(hydra_compile_options) (so the struct may grow), then what
 * you need: 0 and NULL keep the defaults. */
typedef struct hydra_compile_options {
  size_t struct_size;
  const char *format;  /* "onnx", "mlir"; NULL or "auto": by content */
  const char *targets; /* comma-separated; NULL: "cpu" */
  const char *cpu;     /* the x86-64 CPU to tune for; NULL: "native" */
  int64_t query_tile;  /* FA query rows per tile */
  int64_t key_tile;    /* FA keys per tile */
  int64_t chunk_size;  /* LA steps per chunk */
  const char *weights; /* constant weights of the CPU code: "f32", "bf16" */
} hydra_compile_options;

/* hydra_compile and hydra_compile_file with options (NULL: defaults). */
__attribute__((visibility("default"))) int hydra_compile_with_options(
    const void *model, size_t size, const hydra_compile_options *options,
    char **artifact, size_t *artifact_size, char **error);
__attribute__((visibility("default"))) int hydra_compile_file_with_options(
    const char *path, const hydra_compile_options *options, char **artifact,
    size_t *artifact_size, char **error);

/* "hydra-compiler 0.2.0 (hydra; LLVM/MLIR 22.1.8, writes artifact format
 * 4)"; static storage. */
__attribute__((visibility("default"))) const char *hydra_compiler_version(void);

#ifdef __cplusplus
}
#endif

#endif /* HYDRA_CAPI_COMPILER_H */
