#!/usr/bin/env bash
# Build hive and run the demo (README: "Build and run the demo"): an XDP
# firewall written in C, compiled with clang, verified, JIT-compiled and run
# over a bundled capture of 3000 packets; then the small assembly examples.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHIVE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target hive >/dev/null
fw=examples/firewall
mkdir -p build/demo
# <linux/*.h> needs the multiarch include directory when targeting bpf
clang -O2 -g -target bpf -mcpu=v3 -I/usr/include/"$(gcc -print-multiarch)" \
  -c $fw/firewall.bpf.c -o build/demo/firewall.bpf.o
echo "== hive xdp: $fw/firewall.bpf.c over $fw/traffic.pcap (blocklist: $fw/blocklist.json)"
./build/hive xdp build/demo/firewall.bpf.o --pcap $fw/traffic.pcap --maps $fw/blocklist.json \
  --jit --write build/demo/passed.pcap --top 5 --events 5
echo
echo "== fib(90) (examples/fib.s, memory 0x5a):"
./build/hive run examples/fib.s --mem-hex 5a --jit
echo "== internet checksum of examples/data/packet.bin (examples/checksum.s):"
./build/hive run examples/checksum.s --mem examples/data/packet.bin
