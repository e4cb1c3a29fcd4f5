#!/usr/bin/env bash
# The iOS sample's logic compiled and tested on Linux against the real FinConn module (no Xcode,
# no UIKit, no SwiftUI, no Stripe SDK here).
#
#   scripts/ios-sample-check.sh
#
# Run after scripts/swift-tests.sh, whose outputs it uses: the generated FinConn.swift and C header
# in bindings/swift, and the debug finconn-ffi library with the `testing` exports in
# build/swift-linux/debug/lib/ (the loopback simulator the tests drive).
#
# Every .swift file of ios-sample/ (ios-sample/LinuxCheck aside) that imports neither SwiftUI nor
# UIKit goes into the target iOSSampleLogic of a throwaway SwiftPM package, build/ios-sample-check/
# (symlinks, rewritten on every run), with:
#   * FinConn: the real package, bindings/swift (a path dependency);
#   * StripeCore, StripeFinancialConnections: ios-sample/LinuxCheck/Stubs/, Linux stand-ins that
#     declare only the Stripe API the sample's non-UI files use, each declaration traced to
#     stripe-ios' public source (file and version) in a comment;
#   * the tests ios-sample/LinuxCheck/Tests/ (XCTest): the sample's SampleController with a fake
#     sheet presenter against the real library and its simulator.
# Language mode and concurrency checking as in project.yml's app target: Swift 5 (tools 5.9),
# minimal concurrency checking (the default of both).
#
# Fails on: any compile error; any compiler warning (UniFFI's generated FinConn.swift aside); a
# sample file without a SwiftUI/UIKit import that did not compile into an object file; two such
# files with the same name; `@_spi` in a sample file (the stubs hide test-only helpers behind one);
# a failing or skipped XCTest, or fewer than 5 (FINCONN_IOS_SAMPLE_MIN_TESTS). The files
# importing SwiftUI or UIKit are left out, with the reason printed: they still get the tree-sitter
# parse of scripts/parse_check.py and the FinConn name check of scripts/check_sample_api.py. The
# last line is `ios-sample-check: N files compiled, M UI files left to the parse check`. Linux
# only (on a Mac, build the app itself with Xcode: ios-sample/README.md).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

case "${1:-}" in
  "") ;;
  -h | --help) usage "$0"; exit 0 ;;
  *) die "unknown argument: $1" ;;
esac
[[ "$(uname -s)" == Linux ]] || die "Linux only: on macOS, build ios-sample with Xcode (ios-sample/README.md)"
command -v swift >/dev/null || die "swift not found (Swift 5.9+ toolchain expected)"

SAMPLE="$FINCONN_ROOT/ios-sample"
LINUX_CHECK="$SAMPLE/LinuxCheck"
PACKAGE="$FINCONN_ROOT/bindings/swift"
DEBUG_LIB="$FINCONN_ROOT/build/swift-linux/debug/lib"
WORK="$FINCONN_ROOT/build/ios-sample-check"
MIN_TESTS="${FINCONN_IOS_SAMPLE_MIN_TESTS:-5}"

# --- inputs from scripts/swift-tests.sh ---------------------------------------------------------
for f in "$PACKAGE/Sources/FinConn/FinConn.swift" "$PACKAGE/Linux/FinConnFFI/FinConnFFI.h" "$DEBUG_LIB/$(host_cdylib_name)"; do
  [[ -f "$f" ]] || die "missing $f: run bash scripts/swift-tests.sh first"
done
grep -q 'TestSimulator' "$PACKAGE/Sources/FinConn/FinConn.swift" ||
  die "$PACKAGE/Sources/FinConn/FinConn.swift has no testing exports: run bash scripts/swift-tests.sh first"

# --- which files: UI (SwiftUI/UIKit) or compiled ------------------------------------------------
# An import of SwiftUI or UIKit in any form: `import SwiftUI`, `@preconcurrency import UIKit`,
# `import struct SwiftUI.Color`. scripts/check_sample_api.py applies the same rule (UI_IMPORT).
UI_IMPORT='^[[:space:]]*(@[[:alnum:]_]+(\([^)]*\))?[[:space:]]+)*import[[:space:]]+((typealias|struct|class|enum|protocol|let|var|func)[[:space:]]+)?(SwiftUI|UIKit)([[:space:].]|$)'

compiled=()
left_out=()
reasons=()
while IFS= read -r -d '' file; do
  rel="${file#"$FINCONN_ROOT"/}"
  modules="$(grep -E "$UI_IMPORT" "$file" | grep -oE '(SwiftUI|UIKit)' | sort -u | paste -sd ' ' - || true)"
  if [[ -n "$modules" ]]; then
    left_out+=("$rel")
    reasons+=("imports ${modules// / and }")
  else
    compiled+=("$rel")
  fi
done < <(find "$SAMPLE" \( -path "$LINUX_CHECK" -o -name '*.xcodeproj' -o -name build -o -name DerivedData \) -prune \
  -o -type f -name '*.swift' -print0 | sort -z)
[[ ${#compiled[@]} -gt 0 ]] || die "no ios-sample file without a SwiftUI/UIKit import: nothing to compile"

declare -A seen=()
for rel in "${compiled[@]}"; do
  base="$(basename "$rel")"
  [[ -z "${seen[$base]:-}" ]] || die "$rel and ${seen[$base]} share a file name: rename one (the target is flat)"
  seen[$base]="$rel"
  if grep -n '@_spi' "$FINCONN_ROOT/$rel" >&2; then
    die "$rel uses @_spi: the sample may use only Stripe's public API (the stubs' SPI is for the tests)"
  fi
done

# --- the throwaway package ----------------------------------------------------------------------
mkdir -p "$WORK"
rm -rf "$WORK/Sources" "$WORK/Stubs" "$WORK/Tests" "$WORK/Package.swift" "$WORK/Package.resolved"
mkdir -p "$WORK/Sources/iOSSampleLogic" "$WORK/Tests"
for rel in "${compiled[@]}"; do
  ln -s "$FINCONN_ROOT/$rel" "$WORK/Sources/iOSSampleLogic/$(basename "$rel")"
done
ln -s "$LINUX_CHECK/Stubs" "$WORK/Stubs"
ln -s "$LINUX_CHECK/Tests" "$WORK/Tests/iOSSampleLogicTests"
cat >"$WORK/Package.swift" <<EOF
// swift-tools-version:5.9
// Generated by scripts/ios-sample-check.sh on every run: do not edit.
import PackageDescription

let package = Package(
    name: "iOSSampleCheck",
    platforms: [.iOS(.v15), .macOS(.v12)],
    dependencies: [
        .package(path: "$PACKAGE"),
    ],
    targets: [
        .target(name: "StripeCore", path: "Stubs/StripeCore"),
        .target(name: "StripeFinancialConnections", dependencies: ["StripeCore"], path: "Stubs/StripeFinancialConnections"),
        .target(
            name: "iOSSampleLogic",
            dependencies: [.product(name: "FinConn", package: "swift"), "StripeFinancialConnections"],
            path: "Sources/iOSSampleLogic"
        ),
        .testTarget(
            name: "iOSSampleLogicTests",
            dependencies: ["iOSSampleLogic", .product(name: "FinConn", package: "swift"), "StripeFinancialConnections"],
            path: "Tests/iOSSampleLogicTests"
        ),
    ]
)
EOF

# Paths in diagnostics as in the repository (the package holds symlinks).
repo_paths=(-e "s#$WORK/Stubs/#ios-sample/LinuxCheck/Stubs/#g" -e "s#$WORK/Tests/iOSSampleLogicTests/#ios-sample/LinuxCheck/Tests/#g")
for rel in "${compiled[@]}"; do
  repo_paths+=(-e "s#$WORK/Sources/iOSSampleLogic/$(basename "$rel")#$rel#g")
done
repo_paths+=(-e "s#$FINCONN_ROOT/##g")
to_repo_paths() { sed "${repo_paths[@]}"; }

LINK=(-Xlinker -L"$DEBUG_LIB" -Xlinker -rpath -Xlinker "$DEBUG_LIB")
cd "$WORK"
log "swift build --build-tests (iOSSampleLogic: ${#compiled[@]} sample files, FinConn from $PACKAGE)"
started=$(date +%s)
set +e
swift build --build-tests "${LINK[@]}" 2>&1 | tee "$WORK/build.log"
status=${PIPESTATUS[0]}
set -e
log "swift build --build-tests: $(($(date +%s) - started)) s"
if [[ $status -ne 0 ]]; then
  grep -E '\.swift:[0-9]+:[0-9]+: error:' "$WORK/build.log" | sort -u | to_repo_paths >&2 || true
  die "the iOS sample's logic does not compile on Linux (above)"
fi

warnings="$(grep -E '\.swift:[0-9]+:[0-9]+: warning:' "$WORK/build.log" | grep -v '/Sources/FinConn/FinConn\.swift:' | sort -u | to_repo_paths || true)"
if [[ -n "$warnings" ]]; then
  printf '%s\n' "$warnings" >&2
  die "compiler warnings (above): the sample, the stubs and the tests compile without any"
fi

# Each sample file compiled into its own object file (debug builds compile file by file).
BIN="$(swift build --show-bin-path "${LINK[@]}")"
for rel in "${compiled[@]}"; do
  [[ -f "$BIN/iOSSampleLogic.build/$(basename "$rel").o" ]] ||
    die "$rel has no import of SwiftUI or UIKit but was not compiled (no $BIN/iOSSampleLogic.build/$(basename "$rel").o)"
done

# --- XCTest -------------------------------------------------------------------------------------
log "swift test (SampleController with a fake sheet presenter, real library, loopback simulator)"
set +e
timeout --kill-after=30 "${FINCONN_IOS_SAMPLE_TEST_TIMEOUT:-600}" \
  swift test --skip-build "${LINK[@]}" 2>&1 | tee "$WORK/test.log"
status=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^[[:space:]]*Executed [0-9]+ tests?, with ' "$WORK/test.log" | tail -n 1 || true)"
executed="$(sed -nE 's/^[[:space:]]*Executed ([0-9]+) tests?.*/\1/p' <<<"$summary")"
failures="$(sed -nE 's/.* ([0-9]+) failures?.*/\1/p' <<<"$summary")"
skipped="$(sed -nE 's/.*with ([0-9]+) tests? skipped.*/\1/p' <<<"$summary")"
executed="${executed:-0}" failures="${failures:-0}" skipped="${skipped:-0}"
[[ $status -eq 0 && -n "$summary" ]] || die "swift test failed (status $status; $failures failure(s))"
[[ $skipped -eq 0 ]] || die "$skipped XCTest(s) skipped: every test is mandatory"
[[ $executed -ge $MIN_TESTS ]] || die "only $executed XCTests executed (at least $MIN_TESTS expected)"

echo
echo "compiled on Linux (target iOSSampleLogic, with FinConn and the Stripe stubs):"
printf '  %s\n' "${compiled[@]}"
echo "left out (UI files: tree-sitter parse + FinConn name check only):"
for i in "${!left_out[@]}"; do
  printf '  %s: %s\n' "${left_out[$i]}" "${reasons[$i]}"
done
echo "ios-sample-check: $executed XCTests passed"
echo "ios-sample-check: ${#compiled[@]} files compiled, ${#left_out[@]} UI files left to the parse check"
