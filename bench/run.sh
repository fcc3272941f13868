#!/bin/sh
# Build hive in Release (no sanitizers) and run the benchmark: prints the
# table and writes bench/results.json.  Extra arguments go to hive-bench
# (e.g. --repeats 9, --batch-ms 80, --quick).
# HIVE_BENCH_BUILD overrides the build directory (default: build-bench);
# HIVE_BENCH_CPU the CPU it is pinned to (default: the last; "none": not pinned).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${HIVE_BENCH_BUILD:-$root/build-bench}

mkdir -p "$build"
log=$build/bench-build.log
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHIVE_SANITIZE=OFF -DHIVE_TESTS=OFF &&
       cmake --build "$build" --target hive-bench -j2; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "run.sh: build failed (log: $log)" >&2
	exit 1
fi
if [ ! -x "$build/bench/hive-bench" ]; then
	echo "run.sh: hive-bench was not built (is clang installed?)" >&2
	exit 1
fi
# All engines on one CPU (the last one unless HIVE_BENCH_CPU says another,
# or "none"): the kernel's test-run runs on the calling CPU, so hive, the
# kernel and native then share one core's conditions in every round.
cpu=${HIVE_BENCH_CPU:-$(($(nproc) - 1))}
pin=""
if [ "$cpu" != none ] && command -v taskset >/dev/null; then
	pin="taskset -c $cpu"
fi
exec $pin "$build/bench/hive-bench" --json "$here/results.json" "$@"
