#!/usr/bin/env bash
# Builds the libFuzzer targets (Sources/TickhubFuzz) with AddressSanitizer and runs each for a while.
#
#   scripts/fuzz.sh [--seconds N] [target ...]     default: 120 s each, every target
#
# Each target starts from its seed corpus, copied to a scratch directory so that what the fuzzer adds never lands in
# Tests/FuzzCorpus. A crash, timeout or out-of-memory input is kept in .build-fuzz/crashes/<target>/ and the
# script exits non-zero. Reproduce one with `.build-fuzz/release/<target> <file>` (docs/tws-protocol-notes.md,
# Fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."

# One compound command, which bash reads whole before running it: the script may be edited during a long run.
{
# Smallest build first: fuzz-positions-csv brings GRDB (SQLite) into the sanitizer build, fuzz-http-path the lws shim.
TARGETS=(fuzz-symbols fuzz-quote-patch fuzz-tws-frames fuzz-tws-requests fuzz-positions-csv fuzz-yahoo fuzz-alphavantage fuzz-clientportal fuzz-tastytrade fuzz-publish fuzz-stream-request fuzz-http-path)
SWIFT=${SWIFT:-swift}
SCRATCH=.build-fuzz
# Release: the debug build of NIO runs about ten times slower under the sanitizers, and the optimiser keeps every
# check that matters here (bounds, overflow, preconditions).
CONFIG=release
seconds=120
chosen=()

while (($#)); do
    case "$1" in
        --seconds)
            # libFuzzer reads 0 as "no limit".
            [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --seconds needs a whole number of seconds, at least 1" >&2; exit 2; }
            seconds=$2
            shift 2
            ;;
        -h | --help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "fuzz: unknown option $1" >&2
            exit 2
            ;;
        *)
            [[ " ${TARGETS[*]} " == *" $1 "* ]] || { echo "fuzz: no target $1 (targets: ${TARGETS[*]})" >&2; exit 2; }
            chosen+=("$1")
            shift
            ;;
    esac
done
# In the order of TARGETS, whatever the order asked.
asked=" ${chosen[*]:-${TARGETS[*]}} "
chosen=()
for target in "${TARGETS[@]}"; do
    if [[ $asked == *" $target "* ]]; then chosen+=("$target"); fi
done

mkdir -p "$SCRATCH/logs"
built=$(date +%s)
for target in "${chosen[@]}"; do
    log=$SCRATCH/logs/build-$target.log
    # The sanitizers apply to everything built, so only the fuzz products are built here, and TICKHUB_FUZZING
    # leaves out the replay `main` that plain builds give them. swiftc keeps only its last -sanitize= option, and
    # SwiftPM passes each --sanitize as its own, in no fixed order: given fuzzer and address, Swift code got either
    # coverage or AddressSanitizer, never both, and a build whose order differed from the last rebuilt everything.
    # So SwiftPM hears of the fuzzer alone (it then links libFuzzer's main), and swiftc gets one option, last.
    if ! "$SWIFT" build -c "$CONFIG" --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DTICKHUB_FUZZING \
        --scratch-path "$SCRATCH" --product "$target" >"$log" 2>&1; then
        # The gold linker warns about every sanitizer symbol it cannot export; those lines hide the error.
        grep -v "ld.gold: warning: Cannot export local symbol" "$log" | tail -40 >&2
        echo "fuzz: building $target failed (full log: $log)" >&2
        exit 1
    fi
done
echo "fuzz: built ${chosen[*]} in $(($(date +%s) - built)) s"

# The Swift runtime's backtracer reads its own stack in a way AddressSanitizer reports as an error, which would
# bury the real report; libFuzzer prints the stack itself. Allocation stacks are left out of ASan reports while
# fuzzing (unwinding on every malloc halves the speed); a reproduction run prints them.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}

work=$(mktemp -d "${TMPDIR:-/tmp}/tickhub-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
for target in "${chosen[@]}"; do
    crashes=$SCRATCH/crashes/$target
    corpus=$work/$target
    log=$SCRATCH/logs/$target.log
    mkdir -p "$crashes" "$corpus"
    cp Tests/FuzzCorpus/"$target"/* "$corpus"/ 2>/dev/null || true
    touch "$work/started"
    start=$(date +%s)
    status=0
    # A fixed seed by default, so the short run in `make test` takes the same path each time; FUZZ_SEED=0 lets
    # libFuzzer pick one, as long runs should.
    "$SCRATCH/$CONFIG/$target" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -seed="${FUZZ_SEED:-1}" -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - start))

    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    found=$(find "$crashes" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) \
        -newer "$work/started" | sort)
    count=$(grep -c . <<<"$found" || true)
    echo "fuzz $target: ${executions:-0} executions in $elapsed s, $count crashes"
    # Without coverage libFuzzer still runs, mutating blindly and finding next to nothing; the C shims alone give a
    # few hundred counters, every target's Swift code thousands.
    counters=$(sed -n 's/^INFO: Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' "$log" | head -1)
    if ((${counters:-0} < 1000)); then
        echo "    $target has ${counters:-no} coverage counters: it was not built for fuzzing; see $log" >&2
        failed=1
    fi
    if ((status != 0 || count > 0)); then
        failed=1
        # The invariant or sanitizer report, without the libFuzzer chatter around it.
        grep -E "invariant violated|Fatal error|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|SUMMARY|^ +#[0-9]+ .* in \\\$s" "$log" |
            head -30 | sed 's/^/    /' >&2
        for file in $found; do echo "    kept $file" >&2; done
        ((count > 0)) || echo "    $target exited with status $status and left no input; see $log" >&2
    fi
done
exit "$failed"
}
