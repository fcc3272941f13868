#!/usr/bin/env bash
# A build without the JIT backend (as on a host hive has none for): programs
# run on the interpreter; the API and the CLI's --jit say so (~1 min).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-nojit -DHIVE_JIT=OFF -DHIVE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-nojit -j"$(nproc)" --target hive test_jit_backend test_conformance test_interp >/dev/null
ctest --test-dir build-nojit -R '^(test_jit_backend|test_conformance|test_interp)$' --output-on-failure
