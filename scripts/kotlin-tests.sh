#!/usr/bin/env bash
# Kotlin/JVM tests of the generated bindings, run the way uniffi-rs tests its own Kotlin bindings:
# plain kotlinc + JNA on a desktop JVM, no Gradle, no Android SDK.
#
#   scripts/kotlin-tests.sh [--release | --profile NAME]
#
# 1. builds the finconn-ffi cdylib for the host (profile: dev unless told; env FINCONN_PROFILE),
# 2. generates the Kotlin bindings with the pinned uniffi-bindgen into build/kotlin-tests/,
# 3. compiles them, then bindings/tests/kotlin/*.kt, with kotlinc against JNA, kotlinx-coroutines
#    and JUnit 4,
# 4. runs every compiled *Test class with org.junit.runner.JUnitCore, JNA loading
#    libfinconn_ffi from target/<profile>/.
# Exits non-zero on any build or test failure; prints JUnit's `OK (N tests)` and a final
# `kotlin-tests: N passed, N failed` line.
#
# Tools: kotlinc (+ kotlin-stdlib, kotlinx-coroutines-core-jvm) from the npm package
# `kotlin-compiler`, installed once into $FINCONN_TOOLS_DIR (default build/tools). JNA and JUnit 4
# come from Debian (`apt-get install -y libjna-java junit4`); override with JNA_JAR, JUNIT_JAR,
# HAMCREST_JAR. Pin another compiler with KOTLIN_COMPILER_VERSION.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

PROFILE="${FINCONN_PROFILE:-dev}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --release) PROFILE=release; shift ;;
    --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
    --profile=*) PROFILE="${1#--profile=}"; shift ;;
    -h | --help) usage "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done

# The JVM tests drive flows against the in-process loopback simulator: test-only exports.
export FINCONN_FFI_FEATURES="${FINCONN_FFI_FEATURES-testing}"
JNA_JAR="${JNA_JAR:-/usr/share/java/jna.jar}"
JUNIT_JAR="${JUNIT_JAR:-/usr/share/java/junit4.jar}"
HAMCREST_JAR="${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}"
TEST_SRC_DIR="$FINCONN_ROOT/bindings/tests/kotlin"
WORK="$FINCONN_ROOT/build/kotlin-tests"

# --- tools -------------------------------------------------------------------------------------
for jar in "$JNA_JAR" "$JUNIT_JAR" "$HAMCREST_JAR"; do
  [[ -f "$jar" ]] || die "$jar not found: apt-get install -y libjna-java junit4 (or set JNA_JAR/JUNIT_JAR/HAMCREST_JAR)"
done
command -v java >/dev/null || die "java not found (JDK 17 expected)"
install_kotlin_compiler

# --- build + generate --------------------------------------------------------------------------
CDYLIB="$(build_host_ffi "$PROFILE")"
BINDGEN="$(build_bindgen)"
GENERATED="$WORK/generated"
run_bindgen "$BINDGEN" "$CDYLIB" kotlin "$GENERATED"
# uniffi.toml sets package io.finconn; a config UniFFI ignored would silently give uniffi/...
[[ -f "$GENERATED/io/finconn/$FINCONN_FFI_LIB.kt" ]] ||
  die "expected $GENERATED/io/finconn/$FINCONN_FFI_LIB.kt: was uniffi.toml applied?"
# Signed numbers only in the public API, test-only exports included (scripts/check_unsigned_api.py;
# check-packaging.sh checks the shipped bindings and the check's fixtures).
python3 scripts/check_unsigned_api.py "$GENERATED/io/finconn/$FINCONN_FFI_LIB.kt" "$GENERATED/io/finconn/core/finconn_core.kt" ||
  die "the generated Kotlin has an unsigned type in its public API (see above)"

# --- compile -----------------------------------------------------------------------------------
rm -rf "$WORK/bindings.jar" "$WORK/test-classes"
binding_sources=()
while IFS= read -r f; do binding_sources+=("$f"); done < <(find "$GENERATED" -name '*.kt' | sort)
[[ ${#binding_sources[@]} -gt 0 ]] || die "no Kotlin sources generated in $GENERATED"
# The hand-written Kotlin the Android library ships beside the generated code (the platform
# transport, the two-argument FlowClient): compiled and tested here exactly as it ships.
HANDWRITTEN_DIR="$FINCONN_ROOT/bindings/android/src/main/java"
handwritten=0
while IFS= read -r f; do binding_sources+=("$f"); handwritten=$((handwritten + 1)); done < <(find "$HANDWRITTEN_DIR" -name '*.kt' | sort)
[[ $handwritten -gt 0 ]] || die "no hand-written Kotlin in $HANDWRITTEN_DIR"
log "kotlinc: ${#binding_sources[@]} file(s) ($handwritten hand-written) -> $WORK/bindings.jar"
# -Werror like uniffi-rs's own harness: generated code must compile without warnings.
"$KOTLINC" -Werror -d "$WORK/bindings.jar" -classpath "$JNA_JAR:$COROUTINES_JAR" "${binding_sources[@]}"

test_sources=()
while IFS= read -r f; do test_sources+=("$f"); done < <(find "$TEST_SRC_DIR" -maxdepth 1 -name '*.kt' | sort)
[[ ${#test_sources[@]} -gt 0 ]] || die "no Kotlin tests in $TEST_SRC_DIR"
log "kotlinc: ${#test_sources[@]} test file(s) -> $WORK/test-classes"
"$KOTLINC" -Werror -d "$WORK/test-classes" \
  -classpath "$WORK/bindings.jar:$JNA_JAR:$COROUTINES_JAR:$JUNIT_JAR:$HAMCREST_JAR" "${test_sources[@]}"

test_classes=()
while IFS= read -r c; do test_classes+=("$c"); done < <(cd "$WORK/test-classes" &&
  find . -name '*Test.class' ! -name '*$*' | sed -e 's|^\./||' -e 's|\.class$||' -e 's|/|.|g' | sort)
[[ ${#test_classes[@]} -gt 0 ]] || die "no *Test classes compiled from $TEST_SRC_DIR"

# --- run ---------------------------------------------------------------------------------------
EXPECTED_VERSION="$(workspace_version)"
[[ -n "$EXPECTED_VERSION" ]] || die "no [workspace.package] version in Cargo.toml"
LOG="$WORK/junit.log"
log "JUnitCore ${test_classes[*]} (jna.library.path=$(dirname "$CDYLIB"))"
set +e
java -ea -Xmx384m \
  -Djna.library.path="$(dirname "$CDYLIB")" \
  -Dfinconn.expectedVersion="$EXPECTED_VERSION" \
  -cp "$WORK/test-classes:$WORK/bindings.jar:$JNA_JAR:$COROUTINES_JAR:$KOTLIN_STDLIB:$JUNIT_JAR:$HAMCREST_JAR" \
  org.junit.runner.JUnitCore "${test_classes[@]}" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e

# JUnit 4 ends with `OK (N tests)` or `Tests run: N,  Failures: F`.
passed=0 failed=0
if ok_line="$(grep -E '^OK \([0-9]+ tests?\)' "$LOG" | tail -n 1)" && [[ -n "$ok_line" ]]; then
  passed="$(sed -E 's/^OK \(([0-9]+) tests?\)/\1/' <<<"$ok_line")"
elif run_line="$(grep -E '^Tests run: [0-9]+, +Failures: [0-9]+' "$LOG" | tail -n 1)" && [[ -n "$run_line" ]]; then
  total="$(sed -E 's/^Tests run: ([0-9]+),.*/\1/' <<<"$run_line")"
  failed="$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$run_line")"
  passed=$((total - failed))
fi
if [[ $status -eq 0 && $failed -eq 0 && $passed -eq 0 ]]; then
  status=1 # JUnit said nothing we understand: never report an empty run as green
fi
echo "kotlin-tests: $passed passed, $failed failed"
exit "$status"
