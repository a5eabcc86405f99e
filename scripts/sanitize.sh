#!/usr/bin/env bash
# Sanitizer and fuzz checks (docs/testing.md, "Hardening"):
#   build-asan/  ASan + UBSan, assertions on, clang-22: the runtime, the
#                tools, the compiler library and the libFuzzer targets;
#   build-tsan/  TSan, the runtime on its own (cmake -S runtime).
# Runs the runtime's gtests under ASan+UBSan, a slice of the pytest suite
# against the ASan build, the runtime's concurrency tests under TSan, and
# each fuzzer for a short, bounded time over its seed corpus. Ends with
# "sanitize: N passed, M failed". Expects scripts/setup.sh and a main
# build (build/, whose compiler makes the TSan tests' artifact).
#
#   FUZZ_SECONDS   seconds each fuzzer runs (default 60)
set -uo pipefail
cd "$(dirname "$0")/.."

CLANG=/usr/bin/clang-22
CLANGXX=/usr/bin/clang++-22
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# Tools and libraries link the shared ASan runtime, so that Python can
# preload the same one for the in-process tests.
ASAN_DIR=$(dirname "$($CLANGXX -print-file-name=libclang_rt.asan-x86_64.so)")
passed=0
failed=0
step() { # step NAME COMMAND...: runs one check and counts it
  local name=$1
  shift
  echo "== sanitize: $name =="
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "sanitize: FAILED: $name"
    failed=$((failed + 1))
  fi
}

# Debian's uninstrumented libMLIR poisons memory from LLVM's allocator
# headers; instrumented code would report it as use-after-poison.
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

build_asan() {
  if [ ! -f build-asan/CMakeCache.txt ]; then
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=$CLANG -DCMAKE_CXX_COMPILER=$CLANGXX \
      -DCMAKE_C_FLAGS="-gline-tables-only -fno-omit-frame-pointer" \
      -DCMAKE_CXX_FLAGS="-gline-tables-only -fno-omit-frame-pointer" \
      -DCMAKE_EXE_LINKER_FLAGS="-shared-libasan -Wl,-rpath,$ASAN_DIR" \
      -DCMAKE_SHARED_LINKER_FLAGS="-shared-libasan -Wl,-rpath,$ASAN_DIR" \
      -DLLVM_USE_SANITIZER="Address;Undefined" \
      -DLLVM_USE_SANITIZE_COVERAGE=ON \
      -DHYDRA_ENABLE_ASSERTIONS=ON -DHYDRA_BUILD_FUZZERS=ON >/dev/null || return 1
  fi
  cmake --build build-asan --target hydra_runtime hydra_runtime_tests \
    hydra-compile hydra-run hydra-inspect hydra_compiler \
    hydra-fuzz-artifact hydra-fuzz-onnx
}

build_tsan() {
  if [ ! -f build-tsan/CMakeCache.txt ]; then
    cmake -S runtime -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=$CLANG -DCMAKE_CXX_COMPILER=$CLANGXX \
      -DCMAKE_C_FLAGS="-fsanitize=thread -g" -DCMAKE_CXX_FLAGS="-fsanitize=thread -g" \
      -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
      -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
      -DHYDRA_BUILD_RUNTIME_TESTS=ON \
      -DHYDRA_TEST_ARTIFACT="$PWD/build/runtime/test/hybrid_7to1.hydra" >/dev/null || return 1
  fi
  cmake --build build-tsan --target hydra_runtime_tests
}

asan_pytest() {
  # Tests that only run the tools as subprocesses, with leak checks; then
  # those that load the compiler and runtime into Python, which gets the
  # (shared) ASan runtime preloaded and whose own allocations at exit are
  # no leaks of ours.
  HYDRA_BUILD_DIR=$PWD/build-asan HYDRA_LIB_DIR=$PWD/build-asan/lib \
    .venv/bin/python -m pytest -q -p no:cacheprovider \
      test/Tools/test_malformed_onnx.py test/Tools/test_hydra_run_inputs.py \
      test/Tools/test_cpu_target.py || return 1
  HYDRA_BUILD_DIR=$PWD/build-asan HYDRA_LIB_DIR=$PWD/build-asan/lib \
    LD_PRELOAD=$ASAN_DIR/libclang_rt.asan-x86_64.so \
    ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 \
    .venv/bin/python -m pytest -q -p no:cacheprovider \
      test/Tools/test_artifact_tools.py test/Tools/test_importer_ir.py \
      test/Tools/test_hybrid_onnx.py test/Python/test_python_api.py \
      test/Python/test_decay_reset.py test/Python/test_integer_ops.py \
      test/Python/test_attention_past_causal.py
}

fuzz() { # fuzz NAME CORPUS: past findings once each, then the fuzzer over
          # a scratch copy of its corpus
  local work
  if [ -d "test/Fuzz/regressions/$1" ]; then
    build-asan/bin/hydra-fuzz-$1 test/Fuzz/regressions/$1/* 2>&1 | tail -n 2
    [ "${PIPESTATUS[0]}" -eq 0 ] || return 1
  fi
  work=$(mktemp -d)
  cp -r "$2"/. "$work"/
  build-asan/bin/hydra-fuzz-$1 "$work" -max_total_time="$FUZZ_SECONDS" \
    -rss_limit_mb=3072 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$work/crash-" 2>&1 | tail -n 12
  local rc=${PIPESTATUS[0]}
  # Keep what it found: the scratch copy goes, and CI's log is all a later
  # session sees, so small findings are printed whole.
  local found
  for found in "$work"/crash-*; do # crash-crash-, crash-oom-, ...
    [ -f "$found" ] || continue
    mkdir -p build-asan/fuzz-findings/"$1"
    cp "$found" build-asan/fuzz-findings/"$1"/
    echo "sanitize: kept $found as build-asan/fuzz-findings/$1/$(basename "$found")"
    if [ "$(stat -c %s "$found")" -le 16384 ]; then
      echo "sanitize: base64 of $(basename "$found"): $(base64 -w0 "$found")"
    fi
  done
  rm -rf "$work"
  return "$rc"
}

step "ASan+UBSan build" build_asan
step "TSan build of the runtime" build_tsan
step "runtime gtests under ASan+UBSan" build-asan/bin/hydra_runtime_tests
# Fibers switch stacks behind TSan's back; the emulator is checked under
# ASan above, TSan covers the pool and the session lock.
step "runtime concurrency tests under TSan" build-tsan/bin/hydra_runtime_tests \
  --gtest_filter='ThreadPool.*:Session.ConcurrentRunsMatchALoneRunBitForBit:Session.Absurd*:HugeBlockCache.Threads*'
step "pytest slice against the ASan build" asan_pytest
step "fuzz the artifact loader (${FUZZ_SECONDS} s)" fuzz artifact test/Fuzz/corpus/artifact
step "fuzz the ONNX importer (${FUZZ_SECONDS} s)" fuzz onnx test/Fuzz/corpus/onnx

echo
echo "sanitize: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
