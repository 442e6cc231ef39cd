#!/usr/bin/env bash
# Long fuzz runs (RELIABILITY.md, "Fuzzing"). The fuzz suites (Tests/*/Fuzz*Tests.swift) run as part of the
# normal tests (scripts/test.sh) with their short default iteration counts and a fixed seed; this script runs
# them for longer, with a random seed per round, and says how to replay whatever fails.
#
#   scripts/fuzz.sh [options] [MULTIPLIER]
#
#   MULTIPLIER      multiplies every target's default iteration count (default 100; 1 is the normal suite's
#                   short run, sized for a few seconds per target in a debug build: RELIABILITY.md has the
#                   measured times); sets PGAGENT_FUZZ_ITERATIONS
#   --seed SEED     the seed (decimal or 0x hex) instead of a random one; one round only
#   --filter REGEX  the tests to run (swift test --filter; default Fuzz: every fuzz target), e.g.
#                   FuzzLogParserTests/stderrFormat or FuzzSQLRedactionTests
#   --rounds N      rounds, each with a new random seed (default 1)
#   --for SECONDS   keep starting rounds until SECONDS have passed (overrides --rounds)
#   --release       build and run the tests in release mode (more iterations per second; traps still trap)
#
# Each round prints its seed first, then the time each target took and its result. A failing target's
# message holds the seed, the iteration, the replay command and the input as Swift statements. When the test
# process crashes (a trap has no message), the round is replayed with PGAGENT_FUZZ_TRACE=1 and without
# parallelism, and the last iteration each target started is printed with its replay command.
# Logs: .build/fuzz/. Exit status: 0 when every round passed, 1 otherwise, 64 for bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }

multiplier=100
seed=""
filter="Fuzz"
rounds=1
duration=""
configuration=""  # or "-c release"
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --seed) seed="${2:?--seed needs a value}"; shift 2 ;;
        --filter) filter="${2:?--filter needs a value}"; shift 2 ;;
        --rounds) rounds="${2:?--rounds needs a value}"; shift 2 ;;
        --for) duration="${2:?--for needs a value}"; shift 2 ;;
        --release) configuration="-c release"; shift ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 64 ;;
        *) multiplier="$1"; shift ;;
    esac
done
if ! [[ "$multiplier" =~ ^[0-9]+([.][0-9]+)?$ ]] || [ "$multiplier" = 0 ]; then
    echo "fuzz.sh: MULTIPLIER must be a positive number, not $multiplier" >&2; exit 64
fi
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then echo "fuzz.sh: --rounds must be a positive whole number" >&2; exit 64; fi
if [ -n "$duration" ] && ! [[ "$duration" =~ ^[1-9][0-9]*$ ]]; then echo "fuzz.sh: --for takes seconds" >&2; exit 64; fi
if [ -n "$seed" ] && ! [[ "$seed" =~ ^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$ ]]; then
    echo "fuzz.sh: --seed must be decimal or 0x hex" >&2; exit 64
fi
if [ -n "$seed" ]; then rounds=1; duration=""; fi

log_dir=.build/fuzz
mkdir -p "$log_dir"
# shellcheck disable=SC2086 # $configuration is empty or "-c release": split on purpose
echo "fuzz.sh: building the tests${configuration:+ ($configuration)}…"
# shellcheck disable=SC2086
swift build --build-tests $configuration

random_seed() { echo "0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')"; }

# The last iteration each target started, from a trace log, with its replay command.
report_trace() {
    local trace=$1 round_seed=$2
    grep -E '^fuzz [^ ]+ seed=[^ ]+ iteration=[0-9]+$' "$trace" | awk '{ last[$2] = $4 } END { for (t in last) print t, last[t] }' |
        while read -r target iteration; do
            iteration=${iteration#iteration=}
            echo "  $target: last started iteration $iteration; replay alone with:"
            echo "    PGAGENT_FUZZ_SEED=$round_seed PGAGENT_FUZZ_ITERATION=$iteration swift test${configuration:+ $configuration} --filter '$target'"
        done
}

started_all=$(date +%s)
round=0
status=0
while :; do
    round=$((round + 1))
    round_seed=${seed:-$(random_seed)}
    log="$log_dir/round-$round-$round_seed.log"
    echo "fuzz.sh: round $round: PGAGENT_FUZZ_SEED=$round_seed PGAGENT_FUZZ_ITERATIONS=$multiplier --filter '$filter' (log: $log)"
    started=$(date +%s)
    set +e
    # shellcheck disable=SC2086
    PGAGENT_FUZZ_SEED="$round_seed" PGAGENT_FUZZ_ITERATIONS="$multiplier" \
        swift test --skip-build $configuration --filter "$filter" >"$log" 2>&1
    code=$?
    set -e
    elapsed=$(($(date +%s) - started))
    # swift-testing's per-test lines: "Test name() passed after 12.345 seconds."
    grep -E '(Test|Suite) .* (passed|failed|recorded).* after [0-9.]+ seconds' "$log" | sed 's/^/  /' || true
    if [ "$code" -eq 0 ]; then
        echo "fuzz.sh: round $round passed in ${elapsed}s (seed $round_seed)"
    else
        status=1
        echo "fuzz.sh: round $round FAILED after ${elapsed}s (exit $code); seed $round_seed"
        grep -E 'fuzz target .* failed|seed 0x[0-9a-f]+, iteration|PGAGENT_FUZZ_SEED=0x[0-9a-f]+ PGAGENT_FUZZ_ITERATION=' "$log" | sed 's/^ */  /' || true
        if grep -qE 'unexpected signal|Fatal error|Illegal instruction|Segmentation fault|Trace/breakpoint trap' "$log"; then
            trace="$log_dir/round-$round-$round_seed.trace"
            echo "fuzz.sh: the test process crashed; replaying serially with PGAGENT_FUZZ_TRACE=1 (log: $trace)…"
            # shellcheck disable=SC2086
            PGAGENT_FUZZ_SEED="$round_seed" PGAGENT_FUZZ_ITERATIONS="$multiplier" PGAGENT_FUZZ_TRACE=1 \
                swift test --skip-build $configuration --no-parallel --filter "$filter" >"$trace" 2>&1 || true
            grep -E 'Fatal error|unexpected signal' "$trace" | head -n 3 | sed 's/^/  /' || true
            echo "fuzz.sh: the crash is in the last iteration one of these targets started:"
            report_trace "$trace" "$round_seed"
        fi
        echo "fuzz.sh: replay the round with: PGAGENT_FUZZ_SEED=$round_seed PGAGENT_FUZZ_ITERATIONS=$multiplier swift test${configuration:+ $configuration} --filter '$filter'"
        break
    fi
    if [ -n "$duration" ]; then
        [ $(($(date +%s) - started_all)) -lt "$duration" ] || break
    elif [ "$round" -ge "$rounds" ]; then
        break
    fi
done
echo "fuzz.sh: $round round(s) in $(($(date +%s) - started_all))s at ${multiplier}x the default iterations: $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
