#!/usr/bin/env bash
# Sets up, builds and runs every hydra test, then prints one line counting
# all of them:
#   lit      IR tests: passes, conversions, verifier diagnostics
#   gtest    runtime units
#   pytest   generated CPU code against float64 references, the tools end
#            to end, and ONNX's conformance cases
#   sanitize ASan+UBSan and TSan builds, their test runs and a fuzz smoke
#            (scripts/sanitize.sh; FUZZ_SECONDS sets the fuzz time)
set -uo pipefail
cd "$(dirname "$0")/.."

# Each phase's wall time, printed at the end (CI has a time budget).
phase_start=$SECONDS
timings=""
phase_done() { # phase_done NAME
  timings="${timings}$1 $((SECONDS - phase_start)) s, "
  phase_start=$SECONDS
}

bash scripts/setup.sh || exit 1
phase_done setup
bash scripts/build.sh || exit 1
phase_done build

count() { # count PATTERN FILE: the number before PATTERN on the last matching line
  grep -oE "[0-9]+ $1" "$2" | tail -n 1 | grep -oE '^[0-9]+' || echo 0
}

echo "== lit: IR tests =="
lit_log=$(mktemp)
/usr/lib/llvm-22/bin/lit -sv build/test 2>&1 | tee "$lit_log"
lit_rc=${PIPESTATUS[0]}
lit_pass=$(grep -oE '^ *Passed *: *[0-9]+' "$lit_log" | grep -oE '[0-9]+$' || echo 0)
lit_fail=$(grep -oE '^ *Failed *: *[0-9]+' "$lit_log" | grep -oE '[0-9]+$' || echo 0)

phase_done lit
echo "== gtest: runtime units =="
gt_log=$(mktemp)
build/bin/hydra_runtime_tests 2>&1 | tee "$gt_log" | grep -E '^\[  (PASSED|FAILED) |^\[  FAILED  \]'
gt_rc=${PIPESTATUS[0]}
gt_pass=$(grep -oE '^\[  PASSED  \] [0-9]+' "$gt_log" | grep -oE '[0-9]+$' || echo 0)
gt_fail=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$gt_log" | grep -oE '[0-9]+' | head -n 1 || echo 0)

phase_done gtest
echo "== pytest: execution, tools, Python API, onnxruntime, conformance =="
# A worker a core (test/conftest.py keeps files with slow fixtures whole).
py_log=$(mktemp)
.venv/bin/python -m pytest -q -rs --durations=15 -n auto test/Execution test/Tools test/Python test/Conformance 2>&1 | tee "$py_log"
py_rc=${PIPESTATUS[0]}
summary=$(tail -n 1 "$py_log")
py_pass=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
py_failed=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
py_errors=$(echo "$summary" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || echo 0)
py_skip=$(echo "$summary" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
py_listed=$(echo "$summary" | grep -oE '[0-9]+ xfailed' | grep -oE '[0-9]+' || echo 0)
py_fail=$((py_failed + py_errors))

phase_done pytest
echo "== sanitize: ASan+UBSan, TSan, fuzz smoke =="
san_log=$(mktemp)
bash scripts/sanitize.sh 2>&1 | tee "$san_log"
san_rc=${PIPESTATUS[0]}
san_pass=$(count passed "$san_log")
san_fail=$(grep -oE '^sanitize: [0-9]+ passed, [0-9]+ failed' "$san_log" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 1)

phase_done sanitize

echo
echo "time: ${timings%, }"
echo "lit: ${lit_pass} passed, ${lit_fail} failed"
echo "gtest: ${gt_pass} passed, ${gt_fail} failed"
echo "pytest: ${py_pass} passed, ${py_fail} failed, ${py_skip} skipped, ${py_listed} conformance cases listed out"
grep -E '^conformance: ' "$py_log" || true
grep -E '^sanitize: [0-9]+ passed' "$san_log" || echo "sanitize: did not finish"
total_pass=$((lit_pass + gt_pass + py_pass + san_pass))
total_fail=$((lit_fail + gt_fail + py_fail + san_fail))
echo "total: ${total_pass} passed, ${total_fail} failed, ${py_skip} skipped"
if [ "$lit_rc" -ne 0 ] || [ "$gt_rc" -ne 0 ] || [ "$py_rc" -ne 0 ] || [ "$san_rc" -ne 0 ] || [ "$total_pass" -eq 0 ]; then
  exit 1
fi
