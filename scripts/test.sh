#!/usr/bin/env bash
# Build with ASan + UBSan and run every test (README: "Run all tests").
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-test -DHIVE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test -j"$(nproc)"
# A plain build too: the `hive` the conformance hook and README use.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHIVE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" 2>&1 | tee build-test/ctest.log
