/*===- hydra/runtime.h - the hydra runtime C API ------------------------===*
 *
 * Loads hydra artifacts (see runtime/schema/hydra_artifact.fbs) and runs
 * their functions. Every call that can fail returns a hydra_status: NULL on
 * success, otherwise an object carrying a code and a message that the
 * caller frees with hydra_status_free. Objects returned through out
 * parameters are owned by the caller and freed with their _free function.
 * The runtime links no LLVM, MLIR or protobuf.
 *
 *===--------------------------------------------------------------------===*/

#ifndef HYDRA_RUNTIME_H
#define HYDRA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "hydra/version.h"

#if defined(__GNUC__)
#define HYDRA_API __attribute__((visibility("default")))
#else
#define HYDRA_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*--- version --------------------------------------------------------------*/

/* The version of the runtime library loaded ("0.2.0"): the headers' is
 * HYDRA_VERSION_STRING. Within a SONAME (libhydra_runtime.so.0.2) the C
 * ABI does not change. */
HYDRA_API const char *hydra_version(void);
/* The artifact format version this runtime reads: artifacts written with
 * another are refused with HYDRA_INVALID_ARTIFACT. */
HYDRA_API uint32_t hydra_artifact_format_version(void);

/*--- status ---------------------------------------------------------------*/

typedef enum hydra_status_code {
  HYDRA_OK = 0,
  HYDRA_INVALID_ARGUMENT = 1, /* a bad call: wrong inputs, null pointers */
  HYDRA_INVALID_ARTIFACT = 2, /* the artifact failed verification */
  HYDRA_NOT_FOUND = 3,        /* no such file or function */
  HYDRA_UNAVAILABLE = 4,      /* no code or device for this machine */
  HYDRA_INTERNAL = 5,         /* the system refused (memory, dlopen) */
} hydra_status_code;

typedef struct hydra_status_s *hydra_status;

HYDRA_API hydra_status_code hydra_status_get_code(hydra_status status);
/* The message; valid until the status is freed. "" for NULL. */
HYDRA_API const char *hydra_status_message(hydra_status status);
HYDRA_API void hydra_status_free(hydra_status status);

/*--- tensors --------------------------------------------------------------*/

typedef enum hydra_dtype {
  HYDRA_DTYPE_INVALID = 0,
  HYDRA_DTYPE_F32,
  HYDRA_DTYPE_F16,
  HYDRA_DTYPE_BF16,
  HYDRA_DTYPE_F64,
  HYDRA_DTYPE_BOOL,
  HYDRA_DTYPE_I8,
  HYDRA_DTYPE_I16,
  HYDRA_DTYPE_I32,
  HYDRA_DTYPE_I64,
  HYDRA_DTYPE_U8,
  HYDRA_DTYPE_U16,
  HYDRA_DTYPE_U32,
  HYDRA_DTYPE_U64,
} hydra_dtype;

/* Bytes per element; 0 for HYDRA_DTYPE_INVALID or an unknown value. */
HYDRA_API size_t hydra_dtype_size(hydra_dtype dtype);
/* "f32", "bool", ...; "invalid" for anything else. */
HYDRA_API const char *hydra_dtype_name(hydra_dtype dtype);

/* A dense, row-major tensor the caller owns. */
typedef struct hydra_tensor {
  const char *name; /* the signature's name (may be NULL on inputs) */
  hydra_dtype dtype;
  int32_t rank;
  const int64_t *shape; /* rank sizes */
  void *data;           /* product(shape) * hydra_dtype_size(dtype) bytes */
} hydra_tensor;

/*--- modules --------------------------------------------------------------*/

typedef struct hydra_module_s hydra_module;

/* Reads and verifies an artifact. Nothing in it is used before it passes. */
HYDRA_API hydra_status hydra_module_load_file(const char *path,
                                              hydra_module **out);
/* The same from memory; the bytes are copied. */
HYDRA_API hydra_status hydra_module_load_memory(const void *data, size_t size,
                                                hydra_module **out);
HYDRA_API void hydra_module_free(hydra_module *module);

HYDRA_API size_t hydra_module_function_count(const hydra_module *module);
HYDRA_API const char *hydra_module_function_name(const hydra_module *module,
                                                 size_t function);

/* A function's signature: `input` selects inputs (1) or outputs (0).
 * Dynamic sizes are reported as -1. Pointers stay valid with the module. */
HYDRA_API size_t hydra_module_signature_count(const hydra_module *module,
                                              size_t function, int input);
HYDRA_API hydra_status hydra_module_signature(const hydra_module *module,
                                              size_t function, int input,
                                              size_t index, const char **name,
                                              hydra_dtype *dtype, int32_t *rank,
                                              int64_t *shape, int32_t max_rank);

/* How an output continues an input across calls: fed back as that input,
 * it is what the next call reads (a decode step's caches). */
typedef enum hydra_cache_kind {
  /* The output is the input followed by this call's part along `axis` (a
   * KV cache: present = past followed by the new keys). */
  HYDRA_CACHE_APPEND = 0,
  /* The output replaces the input, same shape (a linear-attention state). */
  HYDRA_CACHE_STATE = 1,
} hydra_cache_kind;

/* The function's cache pairs: which outputs to feed back as which inputs
 * on the next call. Each input and output is in at most one pair.
 * `in_place` (appends only): the output may be written into the input's
 * buffer (hydra_session_run_buffers with one hydra_buffer as both), the
 * call then appending its part without copying the past. */
HYDRA_API size_t hydra_module_cache_count(const hydra_module *module,
                                          size_t function);
HYDRA_API hydra_status hydra_module_cache(const hydra_module *module,
                                          size_t function, size_t index,
                                          size_t *input, size_t *output,
                                          hydra_cache_kind *kind, int32_t *axis,
                                          int *in_place);

/*--- sessions -------------------------------------------------------------*/

typedef enum hydra_device_kind {
  HYDRA_DEVICE_CPU = 0,
  /* An NVIDIA GPU through the CUDA driver (libcuda.so.1, or $HYDRA_LIBCUDA,
   * opened at run time): the function's cuda program with the artifact's
   * cubin for the device's compute capability, else its PTX. */
  HYDRA_DEVICE_CUDA = 1,
  /* The cuda program run on the host CPU by the GPU emulator, with the
   * artifact's "gpu_emulator" code (hydra-compile --target=gpu-emulator):
   * every GPU thread of a block as a fiber, for testing the GPU kernels on
   * machines without a GPU. Slow. */
  HYDRA_DEVICE_GPU_EMULATOR = 2,
} hydra_device_kind;

typedef struct hydra_session_options {
  hydra_device_kind device;
  int32_t num_threads;    /* CPU and emulator: 0 for every core, at most 1024 */
  int32_t device_ordinal; /* CUDA: which GPU */
} hydra_session_options;

typedef struct hydra_session_s hydra_session;

/* Prepares `module` (which must outlive the session) to run on a device:
 * for the CPU, loads its x86_64 code and starts the thread pool; for CUDA,
 * loads the driver, picks the device's code and uploads the constants.
 * HYDRA_UNAVAILABLE when the device or code for it is missing, or when the
 * x86-64 code needs ISA extensions this CPU lacks (they are named). */
HYDRA_API hydra_status
hydra_session_create(hydra_module *module, const hydra_session_options *options,
                     hydra_session **out);
HYDRA_API void hydra_session_free(hydra_session *session);

typedef struct hydra_outputs_s hydra_outputs;

/* Runs `function` on `inputs`, in signature order. Every input is checked
 * (count, dtype, rank, static sizes, and that inputs sharing a dynamic size
 * agree) before anything runs. Outputs are allocated by the runtime.
 *
 * Thread safety: modules are read-only after loading and may be shared by
 * any threads and sessions. This call may be made from several threads on
 * one session at once; each gets its own outputs, bit for bit those of a
 * lone call, and the calls' kernels run on the session's device one call
 * at a time. Use one session per thread for calls in parallel. Freeing a
 * session must not race with a call on it. */
HYDRA_API hydra_status hydra_session_run(hydra_session *session,
                                         const char *function,
                                         const hydra_tensor *inputs,
                                         size_t num_inputs,
                                         hydra_outputs **out);

HYDRA_API size_t hydra_outputs_count(const hydra_outputs *outputs);
/* The i-th output; its data lives as long as `outputs`. */
HYDRA_API const hydra_tensor *hydra_outputs_get(const hydra_outputs *outputs,
                                                size_t i);
HYDRA_API void hydra_outputs_free(hydra_outputs *outputs);
/* The bytes of these outputs that are caches for the next call (see
 * hydra_module_cache): the appended ones (KV caches) and the states. */
HYDRA_API void hydra_outputs_cache_bytes(const hydra_outputs *outputs,
                                         uint64_t *append_bytes,
                                         uint64_t *state_bytes);

/*--- buffers: tensors a session keeps between calls ----------------------*/

/* A tensor owned by a session, passed to hydra_session_run_buffers as an
 * input or as an output to fill: a decode loop's caches stay there from
 * call to call, on the session's device (host memory on the CPU and the
 * GPU emulator, device memory on CUDA), never copied through the host. A
 * buffer is used by one call at a time. */
typedef struct hydra_buffer_s hydra_buffer;

/* A buffer of `dtype` and `shape` (rank ≤ 8), its bytes undefined. With
 * `capacity` (rank sizes, each at least the shape's; NULL: the shape) it
 * has room for that many elements: a KV cache created with room along its
 * sequence axis grows in place when a call appends to it. */
HYDRA_API hydra_status hydra_buffer_create(hydra_session *session,
                                           hydra_dtype dtype, int32_t rank,
                                           const int64_t *shape,
                                           const int64_t *capacity,
                                           hydra_buffer **out);
/* Copies `bytes` (exactly the shape's, dense row-major) in or out. */
HYDRA_API hydra_status hydra_buffer_upload(hydra_buffer *buffer,
                                           const void *data, size_t bytes);
HYDRA_API hydra_status hydra_buffer_download(const hydra_buffer *buffer,
                                             void *data, size_t bytes);
/* The buffer's dtype, rank and current shape (a call sets its outputs'),
 * and its data: a host address on the CPU and the emulator, a device
 * address on CUDA (strided when it has room to spare). Valid until the
 * buffer is used again or freed. */
HYDRA_API const hydra_tensor *hydra_buffer_tensor(const hydra_buffer *buffer);
/* Element strides (rank of them) of the buffer's current layout. */
HYDRA_API void hydra_buffer_strides(const hydra_buffer *buffer,
                                    int64_t *strides);
/* Sets the buffer's shape within its capacity, its elements left where
 * they are (the first ones of a cache keep their values): a decode loop
 * rolls back its cache so (speculative tokens refused, a beam dropped). */
HYDRA_API hydra_status hydra_buffer_set_shape(hydra_buffer *buffer,
                                              int32_t rank,
                                              const int64_t *shape);
HYDRA_API void hydra_buffer_free(hydra_buffer *buffer);

/* Runs `function` on buffers (the IO binding of a decode loop): inputs[i]
 * is input i; outputs[o] is a buffer to write output o into (its dtype and
 * rank the output's; it is reshaped to the output's shape and must hold
 * its bytes), or NULL for a new buffer that this call stores there and
 * the caller frees. A cache pair marked in_place (hydra_module_cache) may
 * pass one buffer as both its input and its output: created with room
 * along the pair's axis, the call appends its part where the past ends,
 * copying nothing, and the buffer's shape grows to the present's. Any
 * other buffer given twice, or with room to spare, is refused. */
HYDRA_API hydra_status hydra_session_run_buffers(
    hydra_session *session, const char *function, hydra_buffer *const *inputs,
    size_t num_inputs, hydra_buffer **outputs, size_t num_outputs);

#ifdef __cplusplus
}
#endif

#endif /* HYDRA_RUNTIME_H */
