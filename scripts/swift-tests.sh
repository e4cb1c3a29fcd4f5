#!/usr/bin/env bash
# The Swift package (bindings/swift) built and tested with SwiftPM on Linux against the real Rust
# library, the way uniffi-rs tests its own Swift bindings on Linux.
#
#   scripts/swift-tests.sh [--skip-release] [--filter REGEX]
#
# 1. the finconn-ffi cdylib for the host with the `testing` feature (the loopback simulator the
#    tests drive), copied to build/swift-linux/debug/lib/; Swift bindings generated from it
#    (scripts/gen-swift.sh --package: Sources/FinConn/FinConn.swift and the C header beside
#    Linux/FinConnFFI/module.modulemap, the system-library target Package.swift uses on Linux);
# 2. `swift build` (debug): fails on any compiler warning in the hand-written Swift
#    (Sources/FinConn/*.swift but FinConn.swift, Sources/FinConnBench, Tests/);
# 3. `swift test` (XCTest): fails unless XCTest reports at least FINCONN_SWIFT_MIN_TESTS (30)
#    tests, 0 failures and 0 skipped; prints the hostile-matrix rows;
# 4. release, as shipped: the finconn-ffi *staticlib* without test exports (profile release),
#    bindings generated from it, `swift build -c release` with only libfinconn_ffi.a on the
#    linker path (so the static library is what links), then the FinConnBench executable run as
#    a smoke test (a few thousand handleUrl calls). Skipped with --skip-release.
# Prints `swift-tests: N passed, N failed` last. Needs swift (6.x, any 5.9+ works), cargo, clang.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

RELEASE=1
FILTER=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-release) RELEASE=0; shift ;;
    --filter) FILTER="${2:?--filter needs a pattern}"; shift 2 ;;
    -h | --help) usage "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
command -v swift >/dev/null || die "swift not found (Swift 5.9+ toolchain expected)"
MIN_TESTS="${FINCONN_SWIFT_MIN_TESTS:-30}"
PACKAGE="$FINCONN_ROOT/bindings/swift"
WORK="$FINCONN_ROOT/build/swift-linux"
LINUX_MODULE="$PACKAGE/Linux/FinConnFFI"
mkdir -p "$WORK"
log "$(swift --version 2>&1 | head -n 1)"

# gen_package LIB: FinConn.swift into the package, the header beside the Linux module map.
gen_package() {
  bash "$FINCONN_ROOT/scripts/gen-swift.sh" --lib "$1" --out "$WORK/generated" --package >&2
  cp "$WORK/generated/Headers/FinConnCoreFFI.h" "$WORK/generated/Headers/FinConnFFI.h" "$LINUX_MODULE/"
}

# check_warnings LOG: no compiler warning in hand-written Swift (the generated FinConn.swift is
# UniFFI's; its warnings are reported upstream, not here).
check_warnings() {
  local found
  found="$(grep -E '\.swift:[0-9]+:[0-9]+: warning:' "$1" | grep -v '/Sources/FinConn/FinConn\.swift:' | sort -u || true)"
  if [[ -n "$found" ]]; then
    printf '%s\n' "$found" >&2
    die "compiler warnings in hand-written Swift (above)"
  fi
}

# --- 1. debug library with the test exports -----------------------------------------------------
CDYLIB="$(FINCONN_FFI_FEATURES=testing build_host_ffi dev)"
DEBUG_LIB="$WORK/debug/lib"
rm -rf "$DEBUG_LIB"
mkdir -p "$DEBUG_LIB"
cp "$CDYLIB" "$DEBUG_LIB/"
gen_package "$DEBUG_LIB/$(basename "$CDYLIB")"
LINK_DEBUG=(-Xlinker -L"$DEBUG_LIB" -Xlinker -rpath -Xlinker "$DEBUG_LIB")

# --- 2. swift build -----------------------------------------------------------------------------
cd "$PACKAGE"
log "swift build (debug, FinConnFFI = $DEBUG_LIB/$(basename "$CDYLIB"))"
started=$(date +%s)
swift build --build-tests "${LINK_DEBUG[@]}" 2>&1 | tee "$WORK/build-debug.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || die "swift build failed"
log "swift build --build-tests: $(($(date +%s) - started)) s"
check_warnings "$WORK/build-debug.log"

# --- 3. swift test ------------------------------------------------------------------------------
log "swift test (XCTest, real library, loopback simulator)"
filter_args=()
[[ -n "$FILTER" ]] && filter_args=(--filter "$FILTER")
started=$(date +%s)
set +e
# A hung async test must end the run, not the CI job: the whole suite gets a bound.
timeout --kill-after=30 "${FINCONN_SWIFT_TEST_TIMEOUT:-900}" \
  swift test --skip-build "${LINK_DEBUG[@]}" ${filter_args[@]+"${filter_args[@]}"} 2>&1 | tee "$WORK/test.log"
status=${PIPESTATUS[0]}
set -e
log "swift test: $(($(date +%s) - started)) s"
# corelibs XCTest's summary: `Executed N tests, with F failures (U unexpected) in …`, with
# `N tests, with S tests skipped and F failures` when tests were skipped.
summary="$(grep -E '^[[:space:]]*Executed [0-9]+ tests?, with ' "$WORK/test.log" | tail -n 1 || true)"
executed="$(sed -nE 's/^[[:space:]]*Executed ([0-9]+) tests?.*/\1/p' <<<"$summary")"
failures="$(sed -nE 's/.* ([0-9]+) failures?.*/\1/p' <<<"$summary")"
skipped="$(sed -nE 's/.*with ([0-9]+) tests? skipped.*/\1/p' <<<"$summary")"
executed="${executed:-0}" failures="${failures:-0}" skipped="${skipped:-0}"
passed=$((executed - failures - skipped))
if [[ $status -eq 0 && -z "$summary" ]]; then status=1; log "no XCTest summary line: not a green run"; fi
if [[ $skipped -gt 0 ]]; then status=1; log "$skipped Swift test(s) skipped: every Swift test is mandatory"; fi
if [[ -z "$FILTER" && $executed -lt $MIN_TESTS ]]; then
  status=1
  log "only $executed Swift tests executed (at least $MIN_TESTS expected)"
fi
if [[ $status -ne 0 ]]; then
  echo "swift-tests: $passed passed, $((failures > 0 ? failures : 1)) failed"
  exit 1
fi

# --- 4. release, linked statically as the shipped package is ------------------------------------
if [[ $RELEASE -eq 1 ]]; then
  cd "$FINCONN_ROOT"
  log "cargo rustc -p $FINCONN_FFI_CRATE --lib --crate-type staticlib --profile release (no test exports)"
  cargo rustc -p "$FINCONN_FFI_CRATE" --lib --crate-type staticlib --profile release >&2 ||
    die "release staticlib build failed"
  target_dir="$(cargo_target_dir)"
  RELEASE_LIB="$WORK/release/lib"
  rm -rf "$RELEASE_LIB"
  mkdir -p "$RELEASE_LIB"
  cp "$target_dir/release/lib${FINCONN_FFI_LIB}.a" "$RELEASE_LIB/"
  gen_package "$RELEASE_LIB/lib${FINCONN_FFI_LIB}.a"
  cd "$PACKAGE"
  # Only the .a is on this path, so `link "finconn_ffi"` resolves to the static library; the Rust
  # standard library's own system dependencies follow it.
  log "swift build -c release --product FinConnBench (static $RELEASE_LIB/lib${FINCONN_FFI_LIB}.a)"
  started=$(date +%s)
  swift build -c release --product FinConnBench -Xlinker -L"$RELEASE_LIB" \
    -Xlinker -lgcc_s -Xlinker -lutil -Xlinker -lrt -Xlinker -lpthread -Xlinker -lm -Xlinker -ldl \
    2>&1 | tee "$WORK/build-release.log"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || die "swift build -c release failed"
  log "swift build -c release: $(($(date +%s) - started)) s"
  check_warnings "$WORK/build-release.log"
  BENCH="$(swift build -c release --show-bin-path)/FinConnBench"
  if ldd "$BENCH" | grep -q "lib${FINCONN_FFI_LIB}"; then
    die "$BENCH loads lib${FINCONN_FFI_LIB} dynamically: the static library did not link"
  fi
  "$BENCH" --n "${FINCONN_SWIFT_BENCH_N:-2000}" --warmup 200
  # Leave the package generated for the tests (debug, test exports), as a developer expects.
  cd "$FINCONN_ROOT"
  gen_package "$DEBUG_LIB/$(basename "$CDYLIB")"
fi

echo "swift-tests: $passed passed, 0 failed"
