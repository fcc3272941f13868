#!/bin/sh
# Verification time and processed instructions, hive's verifier beside the
# kernel's, on bench/progs, examples/firewall and tests/progs: prints the
# table and writes bench/verify_results.json.  Extra arguments go to
# hive-verify-bench (e.g. --repeats 9).  Needs root (BPF_PROG_LOAD), clang
# and libbpf-dev.  HIVE_BENCH_BUILD overrides the build directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${HIVE_BENCH_BUILD:-$root/build-bench}

mkdir -p "$build"
log=$build/verify-build.log
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHIVE_SANITIZE=OFF -DHIVE_TESTS=OFF &&
       cmake --build "$build" --target hive-verify-bench -j2; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "verify.sh: build failed (log: $log)" >&2
	exit 1
fi
if [ ! -x "$build/bench/hive-verify-bench" ]; then
	echo "verify.sh: hive-verify-bench was not built (clang and libbpf-dev installed?)" >&2
	exit 1
fi
cc=$(command -v clang || command -v clang-18 || command -v clang-17 || command -v clang-16 || command -v clang-15 ||
     command -v clang-14)
objs=$build/bench/verify
mkdir -p "$objs"
for src in "$root"/examples/firewall/firewall.bpf.c "$root"/tests/progs/*.bpf.c; do
	out=$objs/$(basename "$src" .c).o
	"$cc" -target bpf -O2 -g -mcpu=v3 -I"/usr/include/$(uname -m)-linux-gnu" -c "$src" -o "$out" 2>/dev/null ||
		echo "verify.sh: $(basename "$src") does not compile here, left out" >&2
done
exec "$build/bench/hive-verify-bench" --json "$here/verify_results.json" "$@" \
	"$build"/bench/fnv1a.bpf.o "$build"/bench/csum.bpf.o "$build"/bench/parse.bpf.o "$build"/bench/primes.bpf.o \
	"$objs"/*.o
