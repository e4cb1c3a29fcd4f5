#!/usr/bin/env bash
# FFI cost of Flow.handleUrl: the same call timed from Kotlin (through the generated bindings and
# JNA) and in Rust (the FFI-layer method, no boundary), against the same library build.
#
#   scripts/ffi-bench.sh [--profile NAME] [--n N] [--warmup N] [--no-criterion]
#
# 1. cargo build -p finconn-ffi --profile release (the shipped configuration, no features; another
#    profile with --profile); the cdylib is copied to build/ffi-bench/lib/ for the run;
# 2. Kotlin bindings generated from it with the pinned uniffi-bindgen, compiled with kotlinc
#    together with the hand-written Kotlin of the AAR (bindings/android/src/main/java), then
#    bindings/tests/kotlin-bench/HandleUrlBench.kt;
# 3. java -Djna.library.path=build/ffi-bench/lib io.finconn.bench.HandleUrlBenchKt:
#    per URL, N (default 200000) individually timed handleUrl calls after WARMUP (default 20000),
#    p50/p90/p99/mean in µs;
# 4. cargo bench -p finconn-ffi --bench handle_url --profile <same profile> (criterion; skipped with
#    --no-criterion), its median per URL read from target/criterion/handle_url/<url>/new/estimates.json;
# 5. a summary: Kotlin p50, Rust median, and their difference = the per-call FFI overhead, next to
#    the Kotlin p50 of coreVersion() (an export doing ~nothing: the floor of any call).
# Both programs get the same URLs (a matching return URL with Stripe's extra query parameters and
# a hostile look-alike) through FINCONN_BENCH_MATCHING_URL / FINCONN_BENCH_HOSTILE_URL.
#
# Tools as scripts/kotlin-tests.sh: npm package kotlin-compiler (the version pinned in
# scripts/lib/bindings-common.sh, and the same cache under $FINCONN_TOOLS_DIR), JNA from Debian libjna-java (JNA_JAR).
# CRITERION_ARGS (default `--warm-up-time 3 --measurement-time 10`) go to the criterion binary.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

PROFILE=release
N=200000
WARMUP=20000
CRITERION=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
    --profile=*) PROFILE="${1#--profile=}"; shift ;;
    --n) N="${2:?--n needs a number}"; shift 2 ;;
    --warmup) WARMUP="${2:?--warmup needs a number}"; shift 2 ;;
    --no-criterion) CRITERION=0; shift ;;
    -h | --help) usage "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$N" =~ ^[1-9][0-9]*$ && "$WARMUP" =~ ^[0-9]+$ ]] || die "--n and --warmup take numbers"
read -r -a CRITERION_ARGS <<<"${CRITERION_ARGS:---warm-up-time 3 --measurement-time 10}"

# The inputs of both benchmarks (the defaults of bindings/ffi/benches/handle_url.rs).
export FINCONN_BENCH_MATCHING_URL="${FINCONN_BENCH_MATCHING_URL:-https://example.com/fc-return?status=success&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&linked_account=fca_1MuOLGIG1CZuezXpjZnH7XAL&payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa&redirect_status=succeeded&source_redirect_slug=test_YWNjdF8x}"
export FINCONN_BENCH_HOSTILE_URL="${FINCONN_BENCH_HOSTILE_URL:-https://example.com.evil.io/fc-return?status=success&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&next=https%3A%2F%2Fevil.io%2Fsteal}"

# --- 1.-2. library, bindings, bench program (scripts/lib/bindings-common.sh) -------------------
WORK="$FINCONN_ROOT/build/ffi-bench"
build_kotlin_bench "$WORK" "$PROFILE" "$FINCONN_ROOT/bindings/tests/kotlin-bench/HandleUrlBench.kt"

# --- 3. Kotlin ----------------------------------------------------------------------------------
log "java io.finconn.bench.HandleUrlBenchKt (n=$N, warm-up $WARMUP, jna.library.path=$WORK/lib)"
java -Xms256m -Xmx256m \
  -Djna.library.path="$WORK/lib" -Dfinconn.bench.n="$N" -Dfinconn.bench.warmup="$WARMUP" \
  -cp "$WORK/bench-classes:$WORK/bindings.jar:$JNA_JAR:$COROUTINES_JAR:$KOTLIN_STDLIB" \
  io.finconn.bench.HandleUrlBenchKt | tee "$WORK/kotlin.txt"

# --- 4. Rust (criterion) ------------------------------------------------------------------------
TARGET_DIR="$(cargo_target_dir)"
if [[ $CRITERION -eq 1 ]]; then
  log "cargo bench -p $FINCONN_FFI_CRATE --bench handle_url --profile $PROFILE -- ${CRITERION_ARGS[*]}"
  rm -rf "$TARGET_DIR/criterion/handle_url"
  cargo bench -p "$FINCONN_FFI_CRATE" --bench handle_url --profile "$PROFILE" -- "${CRITERION_ARGS[@]}" |
    tee "$WORK/criterion.txt"
fi

# --- 5. summary ---------------------------------------------------------------------------------
python3 - "$WORK/kotlin.txt" "$TARGET_DIR/criterion/handle_url" "$CRITERION" "$PROFILE" <<'PY'
import json, re, sys
from pathlib import Path

kotlin_txt, criterion_dir, criterion, profile = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
kotlin = {}
for line in open(kotlin_txt, encoding="utf-8"):
    m = re.match(r"kotlin handleUrl (\w+): p50 ([\d.]+) µs\s+p90 ([\d.]+) µs\s+p99 ([\d.]+) µs", line)
    if m:
        kotlin[m.group(1)] = [float(x) for x in m.group(2, 3, 4)]
    m = re.match(r"kotlin nanoTime pair .*: p50 ([\d.]+) µs", line)
    if m:
        timer = float(m.group(1))
    m = re.match(r"kotlin coreVersion .*: p50 ([\d.]+) µs", line)
    if m:
        floor = float(m.group(1))
if set(kotlin) != {"matching", "hostile"}:
    sys.exit("ffi-bench: the Kotlin program printed no results")
print(f"\nffi-bench summary (profile {profile}; µs per handleUrl call; Kotlin timer cost {timer:.3f} µs included in its samples)")
print(f"{'url':<9} {'Kotlin p50':>11} {'p90':>8} {'p99':>8} {'Rust median':>12} {'FFI overhead (p50 - median)':>29}")
for name in ("matching", "hostile"):
    p50, p90, p99 = kotlin[name]
    rust = "-"
    overhead = "-"
    estimates = criterion_dir / name / "new" / "estimates.json"
    if criterion:
        if not estimates.exists():
            sys.exit(f"ffi-bench: no criterion result at {estimates}")
        median_us = json.load(open(estimates))["median"]["point_estimate"] / 1000.0
        rust = f"{median_us:.3f}"
        overhead = f"{p50 - median_us:.3f} ({p50 / median_us:.1f}x)"
    print(f"{name:<9} {p50:>11.3f} {p90:>8.3f} {p99:>8.3f} {rust:>12} {overhead:>29}")
print(f"reference: Kotlin coreVersion() p50 {floor:.3f} µs (an export doing ~nothing in Rust: the floor of a call)")
PY
