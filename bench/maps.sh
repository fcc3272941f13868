#!/bin/sh
# Build hive in Release (no sanitizers) and run the map benchmark: map
# lookups and updates per second from a program, hive's JIT beside this
# machine's kernel (BPF_PROG_TEST_RUN), at 1 and 2 threads; prints the table
# and writes bench/maps_results.json. Extra arguments go to hive-mapbench
# (--trials N, --window-ms MS, --quick). HIVE_BENCH_BUILD overrides the
# build directory (default: build-bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${HIVE_BENCH_BUILD:-$root/build-bench}

mkdir -p "$build"
log=$build/mapbench-build.log
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHIVE_SANITIZE=OFF -DHIVE_TESTS=OFF &&
       cmake --build "$build" --target hive-mapbench -j2; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "maps.sh: build failed (log: $log)" >&2
	exit 1
fi
exec "$build/bench/hive-mapbench" --json "$here/maps_results.json" "$@"
