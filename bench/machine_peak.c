/* The machine's measured limits for bench/bench_model.py: the f32 FMA peak
 * (independent FMA chains on every core, the widest vectors the compiler
 * targets) and the memory bandwidth (a STREAM-like triad a[i] = b[i] +
 * s*c[i] over arrays far larger than the caches).
 *
 *   clang-22 -O2 -march=native -pthread bench/machine_peak.c -o peak
 *   ./peak THREADS          → prints "fma_gflops X" and "triad_gbs Y"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LANES 16
#define CHAINS 12
typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static const long kFmaIters = 40000000;

static void *fma_worker(void *out) {
  vec acc[CHAINS], x, y;
  for (int i = 0; i < LANES; ++i) {
    x[i] = 1.0f + 1e-7f * i;
    y[i] = 0.999999f;
  }
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = x * (float)c;
  for (long i = 0; i < kFmaIters; ++i)
    for (int c = 0; c < CHAINS; ++c) {
      acc[c] = acc[c] * y + x;
      __asm__ volatile("" : "+v"(acc[c]));
    }
  float s = 0;
  for (int c = 0; c < CHAINS; ++c)
    s += acc[c][0];
  *(float *)out = s;
  return NULL;
}

struct triad {
  float *a, *b, *c;
  long n;
};

static void *triad_worker(void *arg) {
  struct triad *t = arg;
  for (long i = 0; i < t->n; ++i)
    t->a[i] = t->b[i] + 3.0f * t->c[i];
  return NULL;
}

static double run(int threads, void *(*fn)(void *), void *args, size_t size) {
  pthread_t ids[256];
  double start = now();
  for (int i = 0; i < threads; ++i)
    pthread_create(&ids[i], NULL, fn, (char *)args + i * size);
  for (int i = 0; i < threads; ++i)
    pthread_join(ids[i], NULL);
  return now() - start;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256)
    return 1;
  float sink[256];
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    double t = run(threads, fma_worker, sink, sizeof(float));
    best = t < best ? t : best;
  }
  printf("fma_gflops %.1f\n",
         2.0 * LANES * CHAINS * kFmaIters * threads / best / 1e9);
  long n = 1L << 25; /* 128 MiB an array */
  float *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
  for (long i = 0; i < n; ++i)
    a[i] = 0, b[i] = 1, c[i] = 2;
  struct triad parts[256];
  for (int i = 0; i < threads; ++i) {
    long lo = n * i / threads, hi = n * (i + 1) / threads;
    parts[i] = (struct triad){a + lo, b + lo, c + lo, hi - lo};
  }
  best = 1e30;
  for (int r = 0; r < 5; ++r) {
    double t = run(threads, triad_worker, parts, sizeof(struct triad));
    best = t < best ? t : best;
  }
  /* Read b and c, write a (plus a's read for ownership, not counted). */
  printf("triad_gbs %.1f\n", 3.0 * 4 * n / best / 1e9);
  free(a), free(b), free(c);
  return sink[0] == 12345.0f;
}
