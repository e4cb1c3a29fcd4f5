#!/usr/bin/env bash
# The synchronous calls an app makes, timed from Kotlin on the JVM: every export that stayed
# synchronous (phase, flowId, sessionId, result, snapshot, newFlow, recordStripeEvent, checkUrl,
# checkReturnUrl, droppedEvents, addListener+removeListener, the sheet configuration's accessors,
# LinkEvents, logging, …) runs on the caller's thread, often Android's main thread; every call that
# touches the disk is `suspend` and runs on the library's own. A benchmark, not a timed test.
#
#   scripts/sync-calls-bench.sh [--profile NAME] [--n N] [--warmup N] [--bound-us US] [--report-only]
#
# 1. cargo build -p finconn-ffi --profile release (the shipped configuration, no features; another
#    profile with --profile); the cdylib is copied to build/sync-calls-bench/lib/ for the run;
# 2. Kotlin bindings generated from it with the pinned uniffi-bindgen, compiled with kotlinc
#    together with the hand-written Kotlin of the AAR (bindings/android/src/main/java), then
#    bindings/tests/kotlin-bench/SyncCallsBench.kt;
# 3. java -Djna.library.path=build/sync-calls-bench/lib io.finconn.bench.SyncCallsBenchKt: per
#    call, WARMUP untimed calls (default 5000) then N individually timed ones (default 50000),
#    p50/p99/max in µs, and a last line saying whether every p99 is at most BOUND µs (default 500).
# Exits non-zero if one is not, unless --report-only (the smoke run of scripts/test-all.sh, on an
# unoptimised dev build whose numbers are not the shipped ones).
#
# Tools as scripts/kotlin-tests.sh: the Kotlin compiler pinned in scripts/lib/bindings-common.sh,
# JNA from Debian libjna-java (JNA_JAR).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

PROFILE=release
N=50000
WARMUP=5000
BOUND_US=500
REPORT_ONLY=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
    --profile=*) PROFILE="${1#--profile=}"; shift ;;
    --n) N="${2:?--n needs a number}"; shift 2 ;;
    --warmup) WARMUP="${2:?--warmup needs a number}"; shift 2 ;;
    --bound-us) BOUND_US="${2:?--bound-us needs a number}"; shift 2 ;;
    --report-only) REPORT_ONLY=true; shift ;;
    -h | --help) usage "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$WARMUP" =~ ^[0-9]+$ && "$BOUND_US" =~ ^[1-9][0-9]*$ ]] ||
  die "--n, --warmup and --bound-us take numbers"

# --- 1.-2. library, bindings, bench program (scripts/lib/bindings-common.sh) -------------------
WORK="$FINCONN_ROOT/build/sync-calls-bench"
build_kotlin_bench "$WORK" "$PROFILE" "$FINCONN_ROOT/bindings/tests/kotlin-bench/SyncCallsBench.kt"

# --- 3. run -------------------------------------------------------------------------------------
log "java io.finconn.bench.SyncCallsBenchKt (profile $PROFILE, n=$N, warm-up $WARMUP, bound $BOUND_US µs, report only: $REPORT_ONLY)"
java -Xms256m -Xmx256m \
  -Djna.library.path="$WORK/lib" -Dfinconn.bench.n="$N" -Dfinconn.bench.warmup="$WARMUP" \
  -Dfinconn.bench.boundUs="$BOUND_US" -Dfinconn.bench.reportOnly="$REPORT_ONLY" \
  -cp "$WORK/bench-classes:$WORK/bindings.jar:$JNA_JAR:$COROUTINES_JAR:$KOTLIN_STDLIB" \
  io.finconn.bench.SyncCallsBenchKt | tee "$WORK/result.txt"
