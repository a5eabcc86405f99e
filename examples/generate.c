/* Greedy generation through the hydra runtime's C API, the caches kept
 * between calls: what a deployment runtime embedding a compiled decoder
 * does. The artifact's cache pairs say which outputs to feed back as which
 * inputs, so nothing here knows the model's names or layers.
 *
 *   hydra-generate MODEL.hydra PROMPT_IDS COUNT      (ids comma-separated)
 *
 * prints the new tokens on one line, then the decode speed and the bytes
 * the KV caches and the linear states hold. Built as build/bin/
 * hydra-generate; test/Python/test_generate.py runs it on the suite's
 * HydraHead decoder against PyTorch's greedy tokens. */

/* clock_gettime under a strict -std=c11. */
#define _POSIX_C_SOURCE 199309L

#include <hydra/runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RANK 8
#define MAX_TENSORS 256

/* One input's data and shape, owned here (or borrowed from `from`). */
typedef struct {
  int64_t shape[MAX_RANK];
  void *data;
  hydra_outputs *from; /* the call whose output this is, or NULL */
} slot;

static int fail(hydra_status status) {
  fprintf(stderr, "hydra-generate: %s\n", hydra_status_message(status));
  hydra_status_free(status);
  return 1;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--version")) {
    printf("hydra-generate %s (runtime library %s, reads artifact format "
           "%u)\n",
           HYDRA_VERSION_STRING, hydra_version(),
           hydra_artifact_format_version());
    return 0;
  }
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: hydra-generate MODEL.hydra PROMPT_IDS COUNT\n\n"
           "Greedy generation with a compiled decoder: PROMPT_IDS (comma-\n"
           "separated token ids) is the prefill, then COUNT tokens are\n"
           "generated one call each, the artifact's cache pairs fed back.\n"
           "Prints the tokens, the decode speed and the cache bytes.\n");
    return 0;
  }
  if (argc != 4) {
    fprintf(stderr, "usage: %s MODEL.hydra PROMPT_IDS COUNT\n", argv[0]);
    return 2;
  }
  int64_t prompt[4096];
  int64_t length = 0;
  for (char *p = argv[2]; *p && length < 4096; ++length) {
    prompt[length] = strtoll(p, &p, 10);
    if (*p == ',')
      ++p;
  }
  int count = atoi(argv[3]);
  if (length == 0 || count <= 0) {
    fprintf(stderr, "hydra-generate: need prompt ids and a positive count\n");
    return 2;
  }

  hydra_module *module = NULL;
  hydra_session *session = NULL;
  hydra_status status = hydra_module_load_file(argv[1], &module);
  if (status)
    return fail(status);
  hydra_session_options options = {HYDRA_DEVICE_CPU, 0, 0};
  if ((status = hydra_session_create(module, &options, &session)))
    return fail(status);

  /* The signature: which input is each cache's, and which is the ids. */
  size_t inputs = hydra_module_signature_count(module, 0, 1);
  size_t pairs = hydra_module_cache_count(module, 0);
  if (inputs > MAX_TENSORS || pairs == 0) {
    fprintf(stderr, "hydra-generate: the model returns no caches\n");
    return 1;
  }
  int cache_of_input[MAX_TENSORS]; /* pair index, or -1 */
  size_t pair_output[MAX_TENSORS];
  hydra_cache_kind pair_kind[MAX_TENSORS];
  for (size_t i = 0; i < inputs; ++i)
    cache_of_input[i] = -1;
  for (size_t c = 0; c < pairs; ++c) {
    size_t in, out;
    int32_t axis;
    if ((status = hydra_module_cache(module, 0, c, &in, &out, &pair_kind[c],
                                     &axis, NULL)))
      return fail(status);
    cache_of_input[in] = (int)c;
    pair_output[c] = out;
  }

  /* Empty caches: batch 1, every other dynamic size (the append axis) 0. */
  hydra_tensor tensors[MAX_TENSORS];
  slot slots[MAX_TENSORS];
  size_t ids = inputs;
  for (size_t i = 0; i < inputs; ++i) {
    hydra_tensor *t = &tensors[i];
    if ((status = hydra_module_signature(module, 0, 1, i, &t->name, &t->dtype,
                                         &t->rank, slots[i].shape, MAX_RANK)))
      return fail(status);
    t->shape = slots[i].shape;
    slots[i].from = NULL;
    slots[i].data = NULL;
    if (cache_of_input[i] < 0) {
      ids = i;
      continue;
    }
    size_t elements = 1;
    for (int32_t d = 0; d < t->rank; ++d) {
      if (slots[i].shape[d] < 0)
        slots[i].shape[d] = d == 0 ? 1 : 0;
      elements *= (size_t)slots[i].shape[d];
    }
    slots[i].data = calloc(elements ? elements : 1, hydra_dtype_size(t->dtype));
    t->data = slots[i].data;
  }
  if (ids == inputs || tensors[ids].dtype != HYDRA_DTYPE_I64) {
    fprintf(stderr, "hydra-generate: no int64 token ids input\n");
    return 1;
  }

  int64_t token = 0;
  double start = 0, prefill = 0;
  hydra_outputs *last = NULL;
  int64_t kv_bytes = 0, state_bytes = 0;
  for (int step = 0; step < count; ++step) {
    /* The prompt first, then the last token. */
    slots[ids].shape[0] = 1;
    slots[ids].shape[1] = step == 0 ? length : 1;
    tensors[ids].data = step == 0 ? prompt : &token;
    double t0 = now();
    hydra_outputs *out = NULL;
    if ((status = hydra_session_run(session, "main", tensors, inputs, &out)))
      return fail(status);
    if (step == 0)
      prefill = now() - t0, start = now();
    /* The logits: the first output no cache pair names. */
    const hydra_tensor *logits = NULL;
    for (size_t o = 0; o < hydra_outputs_count(out) && !logits; ++o) {
      int named = 0;
      for (size_t c = 0; c < pairs; ++c)
        named |= pair_output[c] == o;
      if (!named)
        logits = hydra_outputs_get(out, o);
    }
    int64_t vocab = logits->shape[2], rows = logits->shape[1];
    const float *row = (const float *)logits->data + (rows - 1) * vocab;
    int64_t best = 0;
    for (int64_t v = 1; v < vocab; ++v)
      if (row[v] > row[best])
        best = v;
    token = best;
    printf("%s%lld", step ? " " : "", (long long)token);
    /* What the caches hold now, as the runtime counts it. */
    uint64_t kv = 0, states = 0;
    hydra_outputs_cache_bytes(out, &kv, &states);
    kv_bytes = (int64_t)kv, state_bytes = (int64_t)states;
    /* The presents become the next call's caches, without a copy. */
    for (size_t i = 0; i < inputs; ++i) {
      int c = cache_of_input[i];
      if (c < 0)
        continue;
      const hydra_tensor *present = hydra_outputs_get(out, pair_output[c]);
      if (!slots[i].from)
        free(slots[i].data);
      slots[i].data = present->data;
      slots[i].from = out;
      memcpy(slots[i].shape, present->shape, sizeof(int64_t) * present->rank);
      tensors[i].data = present->data;
    }
    hydra_outputs_free(last); /* the caches read from it are replaced */
    last = out;
  }
  double decode = now() - start;
  printf("\nprefill %lld tokens: %.3f ms; decode: %.0f tokens/s\n",
         (long long)length, prefill * 1e3,
         count > 1 ? (count - 1) / decode : 0.0);
  printf("caches: KV %lld bytes, linear states %lld bytes\n",
         (long long)kv_bytes, (long long)state_bytes);
  hydra_outputs_free(last);
  hydra_session_free(session);
  hydra_module_free(module);
  return 0;
}
