#!/usr/bin/env bash
# The optional Stripe adapters (bindings/android-stripe, bindings/swift-stripe) checked on Linux,
# where there is no Android SDK, no Xcode, no UIKit and no Stripe SDK: each adapter's own source is
# compiled against the real FinConn bindings and against stand-ins that declare only the Stripe,
# AndroidX and UIKit API it uses, each declaration traced to public source in a comment.
#
#   scripts/stripe-adapters-check.sh [--kotlin] [--swift]      # no option: both
#
# --kotlin (run after scripts/kotlin-tests.sh, whose build/kotlin-tests/bindings.jar it uses: the
#   generated io.finconn + io.finconn.core Kotlin and bindings/android's hand-written Kotlin):
#   1. kotlinc -Werror of bindings/android-stripe/jvm-stubs (Stripe's SDK, androidx.activity,
#      androidx.lifecycle stand-ins) into stubs.jar;
#   2. kotlinc -Werror of bindings/android-stripe/src/main/java against bindings.jar, stubs.jar, JNA
#      and kotlinx-coroutines into adapter.jar, which must hold only io/finconn/stripe classes;
#   3. kotlinc -Werror of what an app writes (StripeSheetPresenter(activity) handed to
#      FlowClient.link as its SheetPresenter) against adapter.jar;
#   4. kotlinc -Werror of the Android quickstart's code (docs/snippets/android, which
#      docs/quickstart-android.md shows verbatim: scripts/check-doc-snippets.py) against adapter.jar,
#      the bindings, the stand-ins above and the docs' own stand-ins of the Android SDK and AndroidX
#      (docs/snippets/android-stubs).
#   Compiled, not run: the stand-ins have no Android behind them.
# --swift (run after scripts/swift-tests.sh, whose outputs it uses: the generated FinConn.swift and
#   C header in bindings/swift and the debug library with the `testing` exports):
#   1. `swift package dump-package` of bindings/swift-stripe/Package.swift (evaluated, never
#      resolved: Stripe's package is not reachable here): product and target FinConnStripe, FinConn
#      from ../swift, StripeFinancialConnections from stripe-ios-spm at the version
#      ios-sample/project.yml pins, complete concurrency checking;
#   2. a throwaway SwiftPM package, build/stripe-adapters-check/swiftpm/ (symlinks, rewritten on every
#      run): the target FinConnStripe from bindings/swift-stripe/Sources/FinConnStripe with that
#      setting, FinConn (the real package, a path dependency), and the stand-in modules UIKit,
#      StripeCore and StripeFinancialConnections: ios-sample/LinuxCheck/Stubs' files (reused) plus
#      bindings/swift-stripe/LinuxCheck/Stubs' additions; `swift build --build-tests`: fails on any
#      error, on any warning outside UniFFI's generated FinConn.swift, and if the adapter's
#      `#if canImport(UIKit)` left StripeSheetPresenter out of the object file; the same package
#      also builds the iOS quickstart's code (docs/snippets/ios, which docs/quickstart-ios.md shows
#      verbatim: scripts/check-doc-snippets.py) as a target QuickstartSnippets over FinConn,
#      FinConnStripe and the stand-ins, under the same no-warning rule;
#   3. `swift test`: bindings/swift-stripe/LinuxCheck/Tests drive FlowClient.link through the
#      adapter against the real library and its simulator (at least 3 tests, none failed or
#      skipped; FINCONN_STRIPE_SWIFT_MIN_TESTS).
# Both parts fail if the adapter uses a test-only export of the bindings or an `@_spi` import.
# Prints `stripe-adapters-check: …` per part; exits non-zero on the first failure.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

KOTLIN=0
SWIFT=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kotlin) KOTLIN=1; shift ;;
    --swift) SWIFT=1; shift ;;
    -h | --help) usage "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
if [[ $KOTLIN -eq 0 && $SWIFT -eq 0 ]]; then KOTLIN=1 SWIFT=1; fi

WORK="$FINCONN_ROOT/build/stripe-adapters-check"
# Names only the `testing` feature exports (bindings/ffi/src/testing.rs): an adapter compiled here
# against the testing bindings must not use one, or it would not build against the shipped ones.
TEST_ONLY='\b(TestSimulator|TestSheetCompletion|TestHostileServer|TestHostileCase|TestLyingServer|TestLyingCase|hostileCases|lyingCases|testingPanic|testingCore[A-Za-z]*)\b'

# no_test_only_names DIR: fails if a source under DIR names a test-only export.
no_test_only_names() {
  if grep -rnE "$TEST_ONLY" "$1" >&2; then
    die "$1 uses a test-only export of the bindings (above)"
  fi
}

# --- Kotlin: bindings/android-stripe ------------------------------------------------------------
check_kotlin() {
  local module="$FINCONN_ROOT/bindings/android-stripe"
  local bindings_jar="$FINCONN_ROOT/build/kotlin-tests/bindings.jar"
  local jna_jar="${JNA_JAR:-/usr/share/java/jna.jar}"
  local out="$WORK/kotlin"
  [[ -f "$bindings_jar" ]] || die "missing $bindings_jar: run bash scripts/kotlin-tests.sh first"
  # (Listings are captured before grep: `grep -q` closing a pipe early would fail it under pipefail.)
  local listing
  listing="$(unzip -Z1 "$bindings_jar")"
  grep -qx 'io/finconn/SheetPresenter.class' <<<"$listing" ||
    die "$bindings_jar has no io.finconn.SheetPresenter: rerun bash scripts/kotlin-tests.sh"
  [[ -f "$jna_jar" ]] || die "$jna_jar not found: apt-get install -y libjna-java (or set JNA_JAR)"
  install_kotlin_compiler

  local stubs=() sources=() f
  while IFS= read -r f; do stubs+=("$f"); done < <(find "$module/jvm-stubs" -name '*.kt' | sort)
  while IFS= read -r f; do sources+=("$f"); done < <(find "$module/src/main/java" -name '*.kt' | sort)
  [[ ${#stubs[@]} -gt 0 ]] || die "no stand-ins in $module/jvm-stubs"
  [[ ${#sources[@]} -gt 0 ]] || die "no Kotlin in $module/src/main/java"
  no_test_only_names "$module/src/main/java"
  # Every stand-in file names the public source it copies (a commit of the file read).
  for f in "${stubs[@]}"; do
    grep -qE '\b[0-9a-f]{40}\b' "$f" || die "${f#"$FINCONN_ROOT"/} names no source commit: trace every stand-in declaration"
  done

  rm -rf "$out"
  mkdir -p "$out"
  log "kotlinc -Werror: ${#stubs[@]} stand-in file(s) -> $out/stubs.jar"
  "$KOTLINC" -Werror -d "$out/stubs.jar" "${stubs[@]}" ||
    die "the JVM stand-ins in ${module#"$FINCONN_ROOT"/}/jvm-stubs do not compile without warnings"
  log "kotlinc -Werror: ${#sources[@]} adapter file(s) against the bindings and the stand-ins -> $out/adapter.jar"
  "$KOTLINC" -Werror -d "$out/adapter.jar" \
    -classpath "$bindings_jar:$out/stubs.jar:$jna_jar:$COROUTINES_JAR" "${sources[@]}" ||
    die "bindings/android-stripe does not compile without warnings against the bindings and the stand-ins"

  local stray
  stray="$(unzip -Z1 "$out/adapter.jar" | grep '\.class$' | grep -v '^io/finconn/stripe/' || true)"
  [[ -z "$stray" ]] || die "adapter.jar holds classes outside io/finconn/stripe: $stray"
  # What an app writes, compiled against adapter.jar as a library: the presenter is a SheetPresenter
  # that FlowClient.link takes.
  cat >"$out/AppUse.kt" <<'EOF'
package app

import androidx.activity.ComponentActivity
import io.finconn.FlowClient
import io.finconn.FlowResult
import io.finconn.SessionOptions
import io.finconn.SheetPresenter
import io.finconn.stripe.StripeSheetPresenter

fun presenterFor(activity: ComponentActivity): SheetPresenter = StripeSheetPresenter(activity)

suspend fun link(client: FlowClient, options: SessionOptions, presenter: SheetPresenter): FlowResult =
    client.link(options, presenter)
EOF
  log "kotlinc -Werror: an app's use of io.finconn.stripe.StripeSheetPresenter against adapter.jar"
  "$KOTLINC" -Werror -d "$out/app-use" \
    -classpath "$out/adapter.jar:$bindings_jar:$out/stubs.jar:$jna_jar:$COROUTINES_JAR" "$out/AppUse.kt" ||
    die "an app cannot use io.finconn.stripe.StripeSheetPresenter as the SheetPresenter of FlowClient.link"
  # The Android quickstart's code, as docs/quickstart-android.md shows it.
  local doc_stubs=() snippets=()
  while IFS= read -r f; do doc_stubs+=("$f"); done < <(find "$FINCONN_ROOT/docs/snippets/android-stubs" -name '*.kt' | sort)
  while IFS= read -r f; do snippets+=("$f"); done < <(find "$FINCONN_ROOT/docs/snippets/android" -name '*.kt' | sort)
  [[ ${#doc_stubs[@]} -gt 0 && ${#snippets[@]} -gt 0 ]] || die "no Kotlin in docs/snippets/android or docs/snippets/android-stubs"
  no_test_only_names "$FINCONN_ROOT/docs/snippets/android"
  log "kotlinc -Werror: ${#doc_stubs[@]} Android SDK / AndroidX stand-in file(s) of the docs -> $out/doc-stubs.jar"
  "$KOTLINC" -Werror -d "$out/doc-stubs.jar" -classpath "$out/stubs.jar:$COROUTINES_JAR" "${doc_stubs[@]}" ||
    die "docs/snippets/android-stubs does not compile without warnings"
  log "kotlinc -Werror: ${#snippets[@]} file(s) of the Android quickstart (docs/snippets/android)"
  "$KOTLINC" -Werror -d "$out/doc-snippets" \
    -classpath "$out/doc-stubs.jar:$out/adapter.jar:$bindings_jar:$out/stubs.jar:$jna_jar:$COROUTINES_JAR" "${snippets[@]}" ||
    die "the Android quickstart's code (docs/snippets/android) does not compile without warnings against the bindings and the adapter"
  echo "stripe-adapters-check: kotlin: ${#sources[@]} adapter file(s) compiled with -Werror against the generated bindings and ${#stubs[@]} stand-in file(s); ${#snippets[@]} file(s) of the Android quickstart compiled against them"
}

# --- Swift: bindings/swift-stripe ---------------------------------------------------------------
check_swift() {
  [[ "$(uname -s)" == Linux ]] || die "the Swift part is Linux only: on macOS, build bindings/swift-stripe with Xcode"
  command -v swift >/dev/null || die "swift not found (Swift 5.9+ toolchain expected)"
  local adapter="$FINCONN_ROOT/bindings/swift-stripe"
  local linux_check="$adapter/LinuxCheck"
  local sample_stubs="$FINCONN_ROOT/ios-sample/LinuxCheck/Stubs"
  local package="$FINCONN_ROOT/bindings/swift"
  local debug_lib="$FINCONN_ROOT/build/swift-linux/debug/lib"
  # Not ".../swift": a root package named like bindings/swift would clash with its identity.
  local out="$WORK/swiftpm"
  local min_tests="${FINCONN_STRIPE_SWIFT_MIN_TESTS:-3}"
  local f

  for f in "$package/Sources/FinConn/FinConn.swift" "$package/Linux/FinConnFFI/FinConnFFI.h" "$debug_lib/$(host_cdylib_name)"; do
    [[ -f "$f" ]] || die "missing $f: run bash scripts/swift-tests.sh first"
  done
  grep -q 'TestSimulator' "$package/Sources/FinConn/FinConn.swift" ||
    die "$package/Sources/FinConn/FinConn.swift has no testing exports: run bash scripts/swift-tests.sh first"
  for f in "$sample_stubs/StripeCore/StripeCore.swift" "$sample_stubs/StripeFinancialConnections/StripeFinancialConnections.swift"; do
    [[ -f "$f" ]] || die "missing $f (the sample's Stripe stand-ins, reused here)"
  done
  no_test_only_names "$adapter/Sources"
  if grep -rn '@_spi' "$adapter/Sources" >&2; then
    die "bindings/swift-stripe/Sources uses @_spi: the adapter may use only Stripe's public API (the stand-ins' SPI is for the tests)"
  fi
  grep -q '^#if canImport(UIKit)$' "$adapter/Sources/FinConnStripe/StripeSheetPresenter.swift" ||
    die "StripeSheetPresenter.swift must be wrapped in #if canImport(UIKit) (the package also builds where there is no UIKit)"

  # 1. The real manifest, evaluated (dump-package reads no dependency).
  mkdir -p "$out"
  local pinned
  pinned="$(sed -nE 's/^[[:space:]]*from:[[:space:]]*"?([0-9]+\.[0-9]+\.[0-9]+)"?[[:space:]]*$/\1/p' "$FINCONN_ROOT/ios-sample/project.yml" | head -n 1)"
  [[ -n "$pinned" ]] || die "no stripe-ios version (from:) in ios-sample/project.yml"
  log "swift package dump-package (bindings/swift-stripe/Package.swift)"
  swift package --package-path "$adapter" --scratch-path "$out/manifest-scratch" dump-package >"$out/manifest.json" ||
    die "bindings/swift-stripe/Package.swift does not evaluate"
  python3 - "$out/manifest.json" "$pinned" <<'PY' || die "bindings/swift-stripe/Package.swift is not what the check expects (above)"
import json, sys
m, pinned = json.load(open(sys.argv[1])), sys.argv[2]
problems = []
products = {p["name"]: p["targets"] for p in m["products"]}
if products != {"FinConnStripe": ["FinConnStripe"]}:
    problems.append(f"products {products}")
deps = {}
for d in m["dependencies"]:
    for kind, entries in d.items():
        for e in entries:
            deps[e["identity"]] = (kind, e)
fs = deps.get("swift")
if not fs or fs[0] != "fileSystem" or not fs[1]["path"].endswith("/bindings/swift"):
    problems.append("FinConn is not the path dependency ../swift")
sc = deps.get("stripe-ios-spm")
if not sc or sc[0] != "sourceControl":
    problems.append("no stripe-ios-spm dependency")
else:
    url = sc[1]["location"]["remote"][0]["urlString"]
    rng = sc[1]["requirement"].get("range", [{}])[0]
    if url != "https://github.com/stripe/stripe-ios-spm":
        problems.append(f"Stripe's package from {url}")
    if rng.get("lowerBound") != pinned:
        problems.append(f"stripe-ios-spm from {rng.get('lowerBound')}, ios-sample/project.yml pins {pinned}")
if set(deps) != {"swift", "stripe-ios-spm"}:
    problems.append(f"dependencies {sorted(deps)}")
targets = {t["name"]: t for t in m["targets"]}
t = targets.get("FinConnStripe")
if set(targets) != {"FinConnStripe"} or not t or t.get("path") != "Sources/FinConnStripe":
    problems.append(f"targets {sorted(targets)} (one target FinConnStripe at Sources/FinConnStripe expected)")
else:
    used = sorted((d["product"][0], d["product"][1]) for d in t["dependencies"] if "product" in d)
    if used != [("FinConn", "swift"), ("StripeFinancialConnections", "stripe-ios-spm")] or len(t["dependencies"]) != 2:
        problems.append(f"target dependencies {t['dependencies']}")
    if "StrictConcurrency" not in json.dumps(t.get("settings", [])):
        problems.append("FinConnStripe does not enable complete concurrency checking (StrictConcurrency)")
for p in problems:
    print(f"Package.swift: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

  # 2. The throwaway package.
  rm -rf "$out/Sources" "$out/Stubs" "$out/Tests" "$out/Snippets" "$out/Package.swift" "$out/Package.resolved"
  mkdir -p "$out/Sources" "$out/Stubs/StripeCore" "$out/Stubs/StripeFinancialConnections" "$out/Tests" "$out/Snippets"
  ln -s "$adapter/Sources/FinConnStripe" "$out/Sources/FinConnStripe"
  ln -s "$FINCONN_ROOT/docs/snippets/ios" "$out/Snippets/QuickstartSnippets"
  no_test_only_names "$FINCONN_ROOT/docs/snippets/ios"
  ln -s "$linux_check/Stubs/UIKit" "$out/Stubs/UIKit"
  local module
  for module in StripeCore StripeFinancialConnections; do
    for f in "$sample_stubs/$module"/*.swift "$linux_check/Stubs/$module"/*.swift; do
      [[ ! -e "$out/Stubs/$module/$(basename "$f")" ]] || die "two stand-in files named $(basename "$f") in module $module"
      ln -s "$f" "$out/Stubs/$module/$(basename "$f")"
    done
  done
  ln -s "$linux_check/Tests" "$out/Tests/FinConnStripeTests"
  cat >"$out/Package.swift" <<EOF
// swift-tools-version:5.9
// Generated by scripts/stripe-adapters-check.sh on every run: do not edit.
import PackageDescription

let package = Package(
    name: "StripeAdaptersCheck",
    platforms: [.iOS(.v15), .macOS(.v12)],
    dependencies: [
        .package(path: "$package"),
    ],
    targets: [
        .target(name: "UIKit", path: "Stubs/UIKit"),
        .target(name: "StripeCore", path: "Stubs/StripeCore"),
        .target(name: "StripeFinancialConnections", dependencies: ["StripeCore", "UIKit"], path: "Stubs/StripeFinancialConnections"),
        .target(
            name: "FinConnStripe",
            dependencies: [.product(name: "FinConn", package: "swift"), "StripeFinancialConnections", "UIKit"],
            path: "Sources/FinConnStripe",
            swiftSettings: [.enableExperimentalFeature("StrictConcurrency")]
        ),
        // The iOS quickstart's code (docs/snippets/ios), as docs/quickstart-ios.md shows it.
        .target(
            name: "QuickstartSnippets",
            dependencies: [.product(name: "FinConn", package: "swift"), "FinConnStripe", "StripeFinancialConnections", "UIKit"],
            path: "Snippets/QuickstartSnippets"
        ),
        .testTarget(
            name: "FinConnStripeTests",
            dependencies: ["FinConnStripe", .product(name: "FinConn", package: "swift"), "StripeCore", "StripeFinancialConnections", "UIKit"],
            path: "Tests/FinConnStripeTests"
        ),
    ]
)
EOF

  # Paths in diagnostics as in the repository (the package holds symlinks).
  local repo_paths=(
    -e "s#$out/Sources/FinConnStripe/#bindings/swift-stripe/Sources/FinConnStripe/#g"
    -e "s#$out/Stubs/UIKit/#bindings/swift-stripe/LinuxCheck/Stubs/UIKit/#g"
    -e "s#$out/Tests/FinConnStripeTests/#bindings/swift-stripe/LinuxCheck/Tests/#g"
    -e "s#$out/Snippets/QuickstartSnippets/#docs/snippets/ios/#g"
    -e "s#$FINCONN_ROOT/##g"
  )
  local link=(-Xlinker -L"$debug_lib" -Xlinker -rpath -Xlinker "$debug_lib")
  local status started
  cd "$out"
  log "swift build --build-tests (FinConnStripe with FinConn from $package and the stand-ins)"
  started=$(date +%s)
  set +e
  swift build --build-tests "${link[@]}" 2>&1 | tee "$out/build.log"
  status=${PIPESTATUS[0]}
  set -e
  log "swift build --build-tests: $(($(date +%s) - started)) s"
  if [[ $status -ne 0 ]]; then
    grep -E '\.swift:[0-9]+:[0-9]+: error:' "$out/build.log" | sort -u | sed "${repo_paths[@]}" >&2 || true
    die "bindings/swift-stripe does not compile on Linux against FinConn and the stand-ins (above)"
  fi
  local warnings
  warnings="$(grep -E '(\.swift:[0-9]+:[0-9]+: warning:|^warning:)' "$out/build.log" | grep -v '/Sources/FinConn/FinConn\.swift:' | sort -u | sed "${repo_paths[@]}" || true)"
  if [[ -n "$warnings" ]]; then
    printf '%s\n' "$warnings" >&2
    die "compiler warnings (above): the adapter, the stand-ins and the tests compile without any"
  fi
  # The UIKit path was compiled, not skipped by `#if canImport(UIKit)`.
  local bin object
  bin="$(swift build --show-bin-path "${link[@]}")"
  object="$bin/FinConnStripe.build/StripeSheetPresenter.swift.o"
  [[ -f "$object" ]] || die "no $object: the adapter was not compiled"
  local symbols
  symbols="$(nm "$object" | swift demangle --compact)"
  grep -q 'FinConnStripe\.StripeSheetPresenter\.present(configuration: FinConn\.SheetConfiguration, events: FinConn\.LinkEvents) async throws -> FinConn\.SheetResult' <<<"$symbols" ||
    die "StripeSheetPresenter.present is not in $object: #if canImport(UIKit) compiled the adapter out"
  local snippet_objects
  snippet_objects="$(find "$bin/QuickstartSnippets.build" -name '*.swift.o' 2>/dev/null | wc -l)"
  [[ $snippet_objects -eq $(find "$FINCONN_ROOT/docs/snippets/ios" -name '*.swift' | wc -l) ]] ||
    die "the iOS quickstart's code (docs/snippets/ios) was not compiled ($snippet_objects object files)"

  # 3. XCTest.
  log "swift test (StripeSheetPresenter driven by FlowClient.link, real library, loopback simulator)"
  set +e
  timeout --kill-after=30 "${FINCONN_STRIPE_SWIFT_TEST_TIMEOUT:-600}" \
    swift test --skip-build "${link[@]}" 2>&1 | tee "$out/test.log"
  status=${PIPESTATUS[0]}
  set -e
  local summary executed failures skipped
  summary="$(grep -E '^[[:space:]]*Executed [0-9]+ tests?, with ' "$out/test.log" | tail -n 1 || true)"
  executed="$(sed -nE 's/^[[:space:]]*Executed ([0-9]+) tests?.*/\1/p' <<<"$summary")"
  failures="$(sed -nE 's/.* ([0-9]+) failures?.*/\1/p' <<<"$summary")"
  skipped="$(sed -nE 's/.*with ([0-9]+) tests? skipped.*/\1/p' <<<"$summary")"
  executed="${executed:-0}" failures="${failures:-0}" skipped="${skipped:-0}"
  [[ $status -eq 0 && -n "$summary" ]] || die "swift test failed (status $status; $failures failure(s))"
  [[ $skipped -eq 0 ]] || die "$skipped XCTest(s) skipped: every test is mandatory"
  [[ $executed -ge $min_tests ]] || die "only $executed XCTests executed (at least $min_tests expected)"
  cd "$FINCONN_ROOT"
  echo "stripe-adapters-check: swift: FinConnStripe and the iOS quickstart's $snippet_objects file(s) compiled without warnings against FinConn and the stand-ins, $executed XCTests passed"
}

[[ $KOTLIN -eq 0 ]] || check_kotlin
[[ $SWIFT -eq 0 ]] || check_swift
