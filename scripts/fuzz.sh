#!/usr/bin/env bash
# Bounded libFuzzer runs (clang only): each target for FUZZ_SECONDS (default 30).
# CI runs this after the tests; on a failure libFuzzer leaves crash-* files here.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-30}
if ! command -v clang >/dev/null; then
  echo "fuzz: clang not found, fuzzing skipped"
  exit 0
fi
CC=clang cmake -S . -B build-fuzz -DHIVE_FUZZ=ON -DHIVE_SANITIZE=ON -DHIVE_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_jit_equiv fuzz_loader fuzz_vm_checked fuzz_fixture
mkdir -p build-fuzz/corpus-loader
# seed the loader's corpus with the objects the tests compile, when present
cp build-test/loader_corpus/*.o build-fuzz/corpus-loader/ 2>/dev/null || true
build-fuzz/tests/fuzz/fuzz_jit_equiv -max_total_time="$secs" -print_final_stats=1 2>&1 | tail -n 3
build-fuzz/tests/fuzz_loader/fuzz_loader -max_total_time="$secs" -print_final_stats=1 build-fuzz/corpus-loader 2>&1 | tail -n 3
build-fuzz/tests/fuzz_vm/fuzz_vm_checked -max_total_time="$secs" -print_final_stats=1 2>&1 | tail -n 3
mkdir -p build-fuzz/corpus-fixture
cp tests/fixtures/l4lb/*.json build-fuzz/corpus-fixture/
build-fuzz/tests/fuzz_fixture/fuzz_fixture -max_total_time="$secs" -print_final_stats=1 build-fuzz/corpus-fixture 2>&1 | tail -n 3
echo "fuzz: all four targets ran ${secs}s without a finding"
