#!/usr/bin/env bash
# ThreadSanitizer run of the concurrency stress tests (maps, epochs, user
# ring buffer, helpers): a separate build directory, the core compiled again
# with -fsanitize=thread (tests/tsan/CMakeLists.txt). CI runs it after the
# ASan/UBSan suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# gcc by default: with clang, HIVE_OPTS leaves struct padding unset at -O1
# and hive_verify's opts check (which reads it) refuses some calls.
cc=${CC:-gcc}
cmake -S . -B build-tsan -DHIVE_TSAN=ON -DHIVE_SANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$cc" >/dev/null
targets=$(sed -n 's/^  foreach(name \(.*\))$/\1/p' tests/tsan/CMakeLists.txt)
cmake --build build-tsan -j"$(nproc)" --target $(for t in $targets; do printf 'tsan_%s ' "$t"; done)
# TSan needs a non-randomised-enough address space on some kernels.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
run=(ctest --test-dir build-tsan -R '^tsan_' --output-on-failure -j"$(nproc)")
if command -v setarch >/dev/null; then setarch "$(uname -m)" -R "${run[@]}"; else "${run[@]}"; fi
