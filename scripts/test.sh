#!/usr/bin/env bash
# Sets up, builds and runs every hydra test: lit (IR, passes, verifier
# diagnostics) and pytest (the generated CPU code against float64
# references). Ends with one line counting all tests run.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1
bash scripts/build.sh || exit 1

LIT=/usr/lib/llvm-22/bin/lit
echo "== lit: IR tests =="
lit_log=$(mktemp)
"$LIT" -sv build/test 2>&1 | tee "$lit_log"
lit_rc=${PIPESTATUS[0]}
lit_pass=$(grep -oE '^ *Passed *: *[0-9]+' "$lit_log" | grep -oE '[0-9]+$' || echo 0)
lit_fail=$(grep -oE '^ *Failed *: *[0-9]+' "$lit_log" | grep -oE '[0-9]+$' || echo 0)

echo "== pytest: execution tests =="
py_log=$(mktemp)
.venv/bin/python -m pytest -q -rs test/Execution 2>&1 | tee "$py_log"
py_rc=${PIPESTATUS[0]}
summary=$(tail -n 1 "$py_log")
py_pass=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
py_failed=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
py_errors=$(echo "$summary" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || echo 0)
py_fail=$((py_failed + py_errors))
py_skip=$(echo "$summary" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)

echo
echo "lit: ${lit_pass} passed, ${lit_fail} failed"
echo "execution: ${py_pass} passed, ${py_fail} failed, ${py_skip} skipped"
total_pass=$((lit_pass + py_pass))
total_fail=$((lit_fail + ${py_fail}))
echo "total: ${total_pass} passed, ${total_fail} failed, ${py_skip} skipped"
if [ "$lit_rc" -ne 0 ] || [ "$py_rc" -ne 0 ] || [ "$total_pass" -eq 0 ]; then
  exit 1
fi
