#!/bin/sh
# Build hive in Release (no sanitizers) and run hive-xdp-bench: the demo
# firewall (examples/firewall) over its capture through `hive xdp --pcap`,
# hive's test-run API and the kernel's BPF_PROG_TEST_RUN; prints the table
# and writes bench/xdp_results.json. Extra arguments go to hive-xdp-bench
# (e.g. --trials 9, --repeat 500, --passes 300, --quick).
# HIVE_BENCH_BUILD overrides the build directory (default: build-bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${HIVE_BENCH_BUILD:-$root/build-bench}

mkdir -p "$build"
log=$build/xdp-bench-build.log
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHIVE_SANITIZE=OFF -DHIVE_TESTS=OFF &&
       cmake --build "$build" --target hive hive-xdp-bench -j2; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "xdp.sh: build failed (log: $log)" >&2
	exit 1
fi
if [ ! -x "$build/bench/hive-xdp-bench" ]; then
	echo "xdp.sh: hive-xdp-bench was not built (needs clang and libbpf-dev)" >&2
	exit 1
fi
cd "$root"
exec "$build/bench/hive-xdp-bench" --obj "$build/bench/firewall.bpf.o" --pcap examples/firewall/traffic.pcap \
	--maps examples/firewall/blocklist.json --hive "$build/hive" --json bench/xdp_results.json "$@"
