#!/usr/bin/env bash
# Build hive and run the bundled examples (README: "Build and run the demo").
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "fib(90) (examples/fib.s, memory 0x5a):"
./build/hive run examples/fib.s --mem-hex 5a
echo "internet checksum of examples/data/packet.bin (examples/checksum.s):"
./build/hive run examples/checksum.s --mem examples/data/packet.bin
