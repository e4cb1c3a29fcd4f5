#!/usr/bin/env bash
# shellcheck disable=SC2016 # the bash -c checks take their arguments as $1, $2... on purpose
# Check the iOS/Android packaging as far as Linux can: everything but xcodebuild, swift, the NDK
# and Gradle.
#
#   scripts/check-packaging.sh
#
# 1. static: the packaging files exist, are well-formed (bash -n, XML, tree-sitter for Swift/KTS),
#    and agree with each other and with uniffi.toml (module, package and library names, minSdk,
#    Rust targets, ABIs, the paths the scripts write vs the paths Package.swift/Gradle read); the
#    optional Stripe adapters (bindings/swift-stripe, bindings/android-stripe) depend on the core
#    package and on Stripe's SDK at the versions the samples pin, and the core package names no
#    Stripe SDK (scripts/stripe-adapters-check.sh compiles the adapters);
# 2. generation through the real scripts from the host library (dev profile, no cargo features,
#    i.e. the shipped API):
#      scripts/gen-swift.sh --package                  -> bindings/swift/Sources/FinConn/FinConn.swift
#      bindings/android/build-android.sh --bindings-only -> bindings/android/src/main/kotlin/io/finconn/
#    and the outputs land where Package.swift / Gradle expect them, are gitignored, every C
#    function the generated header declares is exported by the library, and the shipped API has no
#    test-only export;
# 3. the Swift XCTests, which no Linux machine can compile: Swift bindings generated from a host
#    library built with `--features testing` (what build-xcframework.sh --testing ships to
#    `swift test`) into build/packaging/swift-testing, then every initializer and function (with
#    its argument labels), enum case, property and type Tests/FinConnTests uses must be declared by
#    those bindings, by the test file itself, or be a listed Swift/Foundation/XCTest name;
# 4. with 2 and 3: no unsigned integer type in the public API of the generated Swift and Kotlin
#    (scripts/check_unsigned_api.py, proven on its fixtures scripts/fixtures/unsigned-api first).
# Ends with `check-packaging: N passed, N failed`; exits non-zero if anything failed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
# check "description" command...: pass if the command succeeds.
check() {
  local what="$1"
  shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}
file_has() { grep -qE -- "$2" "$1"; } # file_has FILE REGEX

SWIFT_DIR=bindings/swift
ANDROID_DIR=bindings/android
PACKAGE_SWIFT=$SWIFT_DIR/Package.swift
XCF_SCRIPT=$SWIFT_DIR/build-xcframework.sh
GRADLE_BUILD=$ANDROID_DIR/build.gradle.kts
ANDROID_SCRIPT=$ANDROID_DIR/build-android.sh

# --- 1. static checks --------------------------------------------------------------------------
log "static checks"
for f in uniffi.toml "$PACKAGE_SWIFT" "$XCF_SCRIPT" "$SWIFT_DIR/Sources/FinConn/FinConnPackage.swift" \
  "$SWIFT_DIR/Tests/FinConnTests/FinConnTests.swift" "$ANDROID_DIR/settings.gradle.kts" "$GRADLE_BUILD" \
  "$ANDROID_DIR/consumer-rules.pro" "$ANDROID_DIR/src/main/AndroidManifest.xml" "$ANDROID_SCRIPT" \
  bindings/README.md bindings/.gitignore; do
  check "exists: $f" test -f "$f"
done
for f in scripts/*.sh scripts/lib/*.sh "$XCF_SCRIPT" "$SWIFT_DIR/make-framework.sh" "$ANDROID_SCRIPT"; do
  check "bash -n $f" bash -n "$f"
done
if command -v shellcheck >/dev/null; then
  check "shellcheck -x (all bindings scripts)" shellcheck -x scripts/*.sh scripts/lib/*.sh "$XCF_SCRIPT" "$SWIFT_DIR/make-framework.sh" "$ANDROID_SCRIPT"
else
  log "shellcheck not installed: skipped (apt-get install shellcheck)"
fi
for f in scripts/*.sh "$XCF_SCRIPT" "$ANDROID_SCRIPT"; do
  check "executable, set -euo pipefail: $f" bash -c 'test -x "$1" && grep -qx "set -euo pipefail" "$1"' _ "$f"
done
check "AndroidManifest.xml is well-formed XML" \
  python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$ANDROID_DIR/src/main/AndroidManifest.xml"

# Names from uniffi.toml (the single source of truth) compared with the packaging files.
# Prints KEY=VALUE lines; values contain no spaces.
eval "$(python3 - <<'PY'
import tomllib
cfg = tomllib.load(open("uniffi.toml", "rb"))
crate = cfg["crates"]["finconn_ffi"]["bindings"]
print(f'K_PACKAGE={crate["kotlin"]["package_name"]}')
print(f'K_CDYLIB={crate["kotlin"]["cdylib_name"]}')
print(f'S_MODULE={crate["swift"]["module_name"]}')
print(f'S_FFI_MODULE={crate["swift"]["ffi_module_name"]}')
print(f'S_FFI_FILE={crate["swift"]["ffi_module_filename"]}')
print(f'S_CDYLIB={crate["swift"]["cdylib_name"]}')
print(f'CRATE_ROOT={cfg["crate-roots"]["finconn_ffi"]}')
PY
)"
check "uniffi.toml: kotlin package_name is io.finconn" test "$K_PACKAGE" = io.finconn
check "uniffi.toml: swift module FinConn / FinConnFFI" test "$S_MODULE/$S_FFI_MODULE/$S_FFI_FILE" = FinConn/FinConnFFI/FinConnFFI
check "uniffi.toml: cdylib_name == [lib] name ($FINCONN_FFI_LIB)" test "$K_CDYLIB/$S_CDYLIB" = "$FINCONN_FFI_LIB/$FINCONN_FFI_LIB"
check "uniffi.toml: [crate-roots] finconn_ffi has Cargo.toml" test -f "$CRATE_ROOT/Cargo.toml"
check "finconn-ffi: lib name + crate types" file_has bindings/ffi/Cargo.toml \
  '^crate-type = \["cdylib", "staticlib", "lib"\]'
check "finconn-ffi: [lib] name = \"$FINCONN_FFI_LIB\"" file_has bindings/ffi/Cargo.toml "^name = \"$FINCONN_FFI_LIB\""
check "workspace members include bindings/ffi and bindings/uniffi-bindgen" python3 -c \
  'import sys, tomllib; m = tomllib.load(open("Cargo.toml", "rb"))["workspace"]["members"]; sys.exit(0 if {"bindings/ffi", "bindings/uniffi-bindgen"} <= set(m) else 1)'

# Package.swift
check "Package.swift: swift-tools-version 5.9" file_has "$PACKAGE_SWIFT" '^// swift-tools-version:5\.9$'
check "Package.swift: iOS 15, macOS 12" bash -c 'grep -q "\.iOS(\.v15)" "$1" && grep -q "\.macOS(\.v12)" "$1"' _ "$PACKAGE_SWIFT"
check "Package.swift: binaryTarget $S_FFI_MODULE at $S_FFI_MODULE.xcframework" python3 - "$PACKAGE_SWIFT" "$S_FFI_MODULE" <<'PY'
import re, sys
src, ffi = open(sys.argv[1]).read(), sys.argv[2]
live = "\n".join(l for l in src.splitlines() if not l.strip().startswith("//"))
m = re.search(r'\.binaryTarget\(\s*name:\s*"([^"]+)",\s*path:\s*"([^"]+)"', live)
sys.exit(0 if m and m.group(1) == ffi and m.group(2) == f"{ffi}.xcframework" else 1)
PY
check "Package.swift: commented url+checksum binaryTarget form" bash -c \
  'grep -qE "^\s*//\s*url: \"https://" "$1" && grep -qE "^\s*//\s*checksum: " "$1"' _ "$PACKAGE_SWIFT"
check "Package.swift: target $S_MODULE (path Sources/$S_MODULE) depends on $S_FFI_MODULE" python3 - "$PACKAGE_SWIFT" "$S_MODULE" "$S_FFI_MODULE" <<'PY'
import re, sys
src, mod, ffi = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
m = re.search(r'\.target\(\s*name:\s*"%s",\s*dependencies:\s*\["%s"\],\s*path:\s*"Sources/%s"' % (mod, ffi, mod), src)
sys.exit(0 if m else 1)
PY
check "Package.swift: testTarget FinConnTests at Tests/FinConnTests" \
  file_has "$PACKAGE_SWIFT" 'path: "Tests/FinConnTests"'
check "build-xcframework.sh: all five Apple targets" bash -c 'for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin; do grep -q "$t" "$1" || exit 1; done' _ "$XCF_SCRIPT"
check "build-xcframework.sh: lipo, create-xcframework, strip, compute-checksum, gen-swift --package" bash -c \
  'for w in "lipo -create" "xcodebuild -create-xcframework \"\${xcf_args[@]}\"" "xcf_args+=(-framework " "strip -S -x" "swift package compute-checksum" "scripts/gen-swift.sh" "--package"; do grep -qF -- "$w" "$1" || exit 1; done' _ "$XCF_SCRIPT"
check "build-xcframework.sh writes \$HERE/$S_FFI_MODULE.xcframework (Package.swift's path)" \
  file_has "$XCF_SCRIPT" 'XCFRAMEWORK="\$HERE/\$FFI_MODULE\.xcframework"'
check "build-xcframework.sh: FFI_MODULE=$S_FFI_MODULE" file_has "$XCF_SCRIPT" "^FFI_MODULE=\"$S_FFI_MODULE\"$"
# The test-only exports (feature `testing`) never ship: only --testing adds them, to a macOS-only
# XCFramework without dist/; the Android build never enables a feature.
check "build-xcframework.sh: --features testing only with --testing (macOS slices, no dist/)" python3 - "$XCF_SCRIPT" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
code = "\n".join(l for l in src.splitlines() if not l.lstrip().startswith("#"))
m = re.search(r'^if \[\[ \$TESTING -eq 1 \]\]; then\n(.*?)^else\n(.*?)^fi\n', src, re.S | re.M)
testing, default = (m.group(1), m.group(2)) if m else ("", "")
ok = (
    "--testing) TESTING=1" in src
    and "FEATURES=(--features testing)" in testing and "SLICES=(macos)" in testing
    and "FEATURES=()" in default and "testing" not in default
    and code.count("--features") == 1  # that one line; the cargo build passes ${FEATURES[@]}
    and re.search(r'^if \[\[ \$TESTING -eq 0 \]\]; then\n\s+mkdir -p "\$DIST"', src, re.M)
)
sys.exit(0 if ok else 1)
PY
check "build-android.sh: no cargo features (the AAR never holds test-only exports)" \
  bash -c '! grep -qE -- "--features|FINCONN_FFI_FEATURES" "$1"' _ "$ANDROID_SCRIPT"
check "every Kotlin test has a Swift XCTest of the same name, and there are at least as many Swift tests" python3 - \
  "$SWIFT_DIR/Tests/FinConnTests" bindings/tests/kotlin <<'PY'
import pathlib, re, sys
swift = "".join(p.read_text() for p in sorted(pathlib.Path(sys.argv[1]).glob("*.swift")))
kotlin = "".join(p.read_text() for p in sorted(pathlib.Path(sys.argv[2]).glob("*.kt")))
# The same names up to each language's words: XCTest's `test` prefix, Swift errors vs Kotlin
# exceptions, async vs suspend. Swift may have more: what only Swift has (dump() and Mirror of
# secret holders, Task cancellation that UniFFI's Swift does not pass into Rust) is tested there.
norm = lambda n: n.lower().replace("exception", "error").replace("suspend", "async")
s = {norm(n) for n in re.findall(r'^\s*func test(\w+)\(\)', swift, re.M)}
k = {norm(n) for n in re.findall(r'@Test\s+fun (\w+)\(', kotlin)}
print(f"{len(s)} Swift, {len(k)} Kotlin; only Swift: {sorted(s - k)}; Kotlin without a Swift twin: {sorted(k - s)}", file=sys.stderr)
sys.exit(0 if k and k <= s and len(s) >= len(k) else 1)
PY

# Android
check "build.gradle.kts: com.android.library + kotlin-android + maven-publish" bash -c \
  'grep -q "id(\"com.android.library\")" "$1" && grep -q "id(\"org.jetbrains.kotlin.android\")" "$1" && grep -q "\`maven-publish\`" "$1"' _ "$GRADLE_BUILD"
check "build.gradle.kts: namespace == uniffi.toml kotlin package ($K_PACKAGE)" file_has "$GRADLE_BUILD" "namespace = \"$K_PACKAGE\""
check "build.gradle.kts: JNA as @aar, kotlinx-coroutines-android" bash -c \
  'grep -qE "net\.java\.dev\.jna:jna:5\.[0-9.]+@aar" "$1" && grep -q "kotlinx-coroutines-android" "$1"' _ "$GRADLE_BUILD"
check "build.gradle.kts: consumer-rules.pro wired" file_has "$GRADLE_BUILD" 'consumerProguardFiles\("consumer-rules\.pro"\)'
check "build.gradle.kts: compileSdk 36, AGP 8.13.x, Kotlin 2.2.x, ndkVersion pinned, lint.xml wired" bash -c \
  'grep -q "compileSdk = 36$" "$1" && grep -qE "id\(\"com.android.library\"\) version \"8\.13\.[0-9]+\"" "$1" &&
   grep -qE "id\(\"org.jetbrains.kotlin.android\"\) version \"2\.2\.[0-9]+\"" "$1" &&
   grep -qE "ndkVersion = \"[0-9]+\.[0-9]+\.[0-9]+\"" "$1" && grep -q "lintConfig = file(\"lint.xml\")" "$1"' _ "$GRADLE_BUILD"
check "lint.xml: NewApi ignored only under src/main/kotlin/ (generated)" python3 - "$ANDROID_DIR/lint.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
issues = ET.parse(sys.argv[1]).getroot().findall("issue")
ok = [(i.get("id"), i.get("severity"), [(g.get("path"), g.get("regexp")) for g in i]) for i in issues] == \
    [("NewApi", None, [("src/main/kotlin/**", None)])]
sys.exit(0 if ok else 1)
PY
check "android-sample declares the same AGP and Kotlin plugin versions as the library (Gradle refuses two)" python3 - \
  "$GRADLE_BUILD" android-sample/build.gradle.kts <<'PY'
import re, sys
def versions(path):
    src = open(path).read()
    return {k: v for k, v in re.findall(r'id\("(com\.android\.library|org\.jetbrains\.kotlin\.android)"\) version "([^"]+)"', src)}
lib, sample = versions(sys.argv[1]), versions(sys.argv[2])
print(f"library {lib}, sample {sample}", file=sys.stderr)
sys.exit(0 if len(lib) == 2 and lib == sample else 1)
PY
android_ndk_check() {
  # build-android.sh --print-ndk against fake SDKs: the pinned NDK is found through ANDROID_HOME,
  # and a missing or other-version NDK is refused with the sdkmanager command that fixes it.
  local sdk="$FINCONN_ROOT/build/packaging/fake-android-sdk" version min out
  version="$(sed -nE 's/^\s*ndkVersion = "([0-9.]+)".*/\1/p' "$GRADLE_BUILD")"
  min="$(sed -nE 's/^\s*minSdk = ([0-9]+).*/\1/p' "$GRADLE_BUILD")"
  [[ -n "$version" && -n "$min" ]] || return 1
  rm -rf "$sdk"
  for v in "$version" 26.1.10909125; do
    mkdir -p "$sdk/ndk/$v/toolchains/llvm/prebuilt/linux-x86_64/bin"
    printf 'Pkg.Desc = Android NDK\nPkg.Revision = %s\n' "$v" >"$sdk/ndk/$v/source.properties"
    printf '#!/bin/sh\n' >"$sdk/ndk/$v/toolchains/llvm/prebuilt/linux-x86_64/bin/llvm-strip"
    chmod +x "$sdk/ndk/$v/toolchains/llvm/prebuilt/linux-x86_64/bin/llvm-strip"
  done
  out="$(env -u ANDROID_NDK_HOME -u ANDROID_SDK_ROOT ANDROID_HOME="$sdk" "$ANDROID_SCRIPT" --print-ndk)" || return 1
  [[ "$out" == *"ndk=$sdk/ndk/$version"$'\n'* && "$out" == *"min_sdk=$min" ]] || return 1
  out="$(ANDROID_NDK_HOME="$sdk/ndk/26.1.10909125" "$ANDROID_SCRIPT" --print-ndk 2>&1)" && return 1
  [[ "$out" == *"is 26.1.10909125"*"sdkmanager \"ndk;$version\""* ]] || return 1
  rm -rf "$sdk/ndk/$version"
  out="$(env -u ANDROID_NDK_HOME ANDROID_HOME="$sdk" "$ANDROID_SCRIPT" --print-ndk 2>&1)" && return 1
  [[ "$out" == *"sdkmanager \"ndk;$version\""* ]] || return 1
  rm -rf "$sdk"
}
check "build-android.sh: minSdk/ndkVersion from build.gradle.kts; pinned NDK found, other versions refused" \
  android_ndk_check
check "build-android.sh: strips the jniLibs copies with the NDK's llvm-strip, bindings from the unstripped .so" bash -c \
  'grep -qF "\"\$STRIP\" --strip-all \"\$so\"" "$1" && grep -qF "LIB=\"\$(cargo_target_dir)/aarch64-linux-android/release/lib\$FINCONN_FFI_LIB.so\"" "$1"' _ "$ANDROID_SCRIPT"
check "consumer-rules.pro keeps JNA and the classes of package $K_PACKAGE (not its subpackages)" bash -c \
  'grep -qF -- "-keep class com.sun.jna.** { *; }" "$1" && grep -qxF -- "-keep class $2.* { *; }" "$1" && ! grep -qF -- "-keep class $2.** " "$1"' _ "$ANDROID_DIR/consumer-rules.pro" "$K_PACKAGE"
check "build-android.sh: cargo ndk for arm64-v8a armeabi-v7a x86_64 x86 into src/main/jniLibs" bash -c \
  'grep -q "^ABIS=(arm64-v8a armeabi-v7a x86_64 x86)$" "$1" && grep -q "cargo ndk \"\${ndk_targets\[@\]}\" --platform \"\$MIN_SDK\" -o src/main/jniLibs rustc --release -p \"\$FINCONN_FFI_CRATE\" --lib --crate-type cdylib" "$1"' _ "$ANDROID_SCRIPT"

# The optional Stripe adapters: separate packages, so the core package stays free of Stripe's SDK.
SWIFT_STRIPE_DIR=bindings/swift-stripe
ANDROID_STRIPE_DIR=bindings/android-stripe
for f in "$SWIFT_STRIPE_DIR/Package.swift" "$SWIFT_STRIPE_DIR/README.md" \
  "$SWIFT_STRIPE_DIR/Sources/FinConnStripe/StripeSheetPresenter.swift" "$SWIFT_STRIPE_DIR/LinuxCheck/Stubs/UIKit/UIKit.swift" \
  "$ANDROID_STRIPE_DIR/build.gradle.kts" "$ANDROID_STRIPE_DIR/settings.gradle.kts" "$ANDROID_STRIPE_DIR/README.md" \
  "$ANDROID_STRIPE_DIR/src/main/AndroidManifest.xml" "$ANDROID_STRIPE_DIR/src/main/java/io/finconn/stripe/StripeSheetPresenter.kt" \
  scripts/stripe-adapters-check.sh; do
  check "exists: $f" test -f "$f"
done
check "android-stripe AndroidManifest.xml is well-formed XML" \
  python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$ANDROID_STRIPE_DIR/src/main/AndroidManifest.xml"
check "the core packages depend on no Stripe SDK (Package.swift, build.gradle.kts, their imports)" bash -c \
  '! grep -rqE "^[[:space:]]*(@[[:alnum:]_]+(\([^)]*\))?[[:space:]]+)*import[[:space:]]+Stripe|github\.com/stripe/stripe-ios|^[[:space:]]*import[[:space:]]+com\.stripe\.|\"com\.stripe:" "$1/Package.swift" "$1/Sources" "$2/build.gradle.kts" "$2/src"' \
  _ "$SWIFT_DIR" "$ANDROID_DIR"
check "swift-stripe Package.swift: tools 5.9, FinConn from ../swift, stripe-ios-spm from the version ios-sample/project.yml pins" python3 - \
  "$SWIFT_STRIPE_DIR/Package.swift" ios-sample/project.yml <<'PY'
import re, sys
src, yml = open(sys.argv[1]).read(), open(sys.argv[2]).read()
live = "\n".join(l for l in src.splitlines() if not l.strip().startswith("//"))
pinned = re.search(r'url: https://github\.com/stripe/stripe-ios-spm\s+from: "?([0-9.]+)"?', yml)
ok = (
    src.startswith("// swift-tools-version:5.9\n")
    and '.package(path: "../swift")' in live
    and pinned is not None
    and f'.package(url: "https://github.com/stripe/stripe-ios-spm", from: "{pinned.group(1)}")' in live
    and '.product(name: "FinConn", package: "swift")' in live
    and '.product(name: "StripeFinancialConnections", package: "stripe-ios-spm")' in live
)
print(f"project.yml pins {pinned.group(1) if pinned else None}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
check "android-stripe build.gradle.kts: the library's AGP and Kotlin plugin versions, namespace io.finconn.stripe, :finconn, minSdk 23, compileSdk 36" python3 - \
  "$ANDROID_STRIPE_DIR/build.gradle.kts" "$GRADLE_BUILD" <<'PY'
import re, sys
def plugins(path):
    return dict(re.findall(r'id\("(com\.android\.library|org\.jetbrains\.kotlin\.android)"\) version "([^"]+)"', open(path).read()))
src = open(sys.argv[1]).read()
ok = (
    len(plugins(sys.argv[1])) == 2 and plugins(sys.argv[1]) == plugins(sys.argv[2])
    and 'namespace = "io.finconn.stripe"' in src and 'api(project(":finconn"))' in src
    and re.search(r"^\s*minSdk = 23$", src, re.M) and re.search(r"^\s*compileSdk = 36$", src, re.M)
)
sys.exit(0 if ok else 1)
PY
check "android-stripe build.gradle.kts: financial-connections at the version android-sample pins, lifecycle-process pinned" python3 - \
  "$ANDROID_STRIPE_DIR/build.gradle.kts" android-sample/app/build.gradle.kts <<'PY'
import re, sys
def pins(path):
    return dict(re.findall(r'"(com\.stripe:financial-connections|androidx\.lifecycle:lifecycle-process):([^"]+)"', open(path).read()))
adapter, sample = pins(sys.argv[1]), pins(sys.argv[2])
print(f"adapter {adapter}, sample {sample}", file=sys.stderr)
stripe = "com.stripe:financial-connections"
# The app decides which Stripe SDK it ships: the adapter is built against the sample's pin.
sys.exit(0 if len(adapter) == 2 and adapter.get(stripe) == sample.get(stripe) else 1)
PY
check "android-stripe settings.gradle.kts includes :finconn from ../android" bash -c \
  'grep -qx "include(\":finconn\")" "$1" && grep -qx "project(\":finconn\").projectDir = file(\"../android\")" "$1"' \
  _ "$ANDROID_STRIPE_DIR/settings.gradle.kts"

# .gitignore covers every build output the scripts write into the source tree.
for p in "$SWIFT_DIR/Sources/FinConn/FinConn.swift" "$SWIFT_DIR/FinConnFFI.xcframework/Info.plist" \
  "$SWIFT_DIR/build/x" "$SWIFT_DIR/dist/FinConnFFI.xcframework.zip" "$SWIFT_DIR/.build/x" \
  "$ANDROID_DIR/src/main/jniLibs/arm64-v8a/lib$FINCONN_FFI_LIB.so" "$ANDROID_DIR/src/main/kotlin/io/finconn/x.kt" \
  "$ANDROID_DIR/build/x" build/swift/x bindings/generated/x \
  "$SWIFT_STRIPE_DIR/.build/x" "$SWIFT_STRIPE_DIR/.swiftpm/x" "$SWIFT_STRIPE_DIR/Package.resolved" \
  "$ANDROID_STRIPE_DIR/build/x" "$ANDROID_STRIPE_DIR/.gradle/x" "$ANDROID_STRIPE_DIR/.kotlin/x"; do
  check "gitignored: $p" git check-ignore -q --no-index "$p"
done
for p in "$PACKAGE_SWIFT" "$SWIFT_DIR/Sources/FinConn/FinConnPackage.swift" "$GRADLE_BUILD" \
  "$ANDROID_DIR/src/main/AndroidManifest.xml" "$SWIFT_DIR/Tests/FinConnTests/FinConnTests.swift" \
  bindings/tests/kotlin/FlowBindingsTest.kt "$SWIFT_STRIPE_DIR/Package.swift" \
  "$SWIFT_STRIPE_DIR/Sources/FinConnStripe/StripeSheetPresenter.swift" "$ANDROID_STRIPE_DIR/build.gradle.kts" \
  "$ANDROID_STRIPE_DIR/src/main/java/io/finconn/stripe/StripeSheetPresenter.kt"; do
  check "not ignored (committed source): $p" bash -c '! git check-ignore -q --no-index "$1"' _ "$p"
done

# --- 2. generation through the real scripts ----------------------------------------------------
log "generation (host library, no features: the shipped API)"
# Work on copies: the target dir is shared, and a concurrent build with other features (e.g.
# kotlin-tests.sh's `testing`) must not swap the library between two checks.
LIBS="$FINCONN_ROOT/build/packaging/lib"
rm -rf "$LIBS"
mkdir -p "$LIBS/default" "$LIBS/testing"
CDYLIB="$(FINCONN_FFI_FEATURES='' build_host_ffi dev)"
cp "$CDYLIB" "$LIBS/default/"
CDYLIB="$LIBS/default/$(basename "$CDYLIB")"
OUT="$FINCONN_ROOT/build/packaging/swift"
if scripts/gen-swift.sh --lib "$CDYLIB" --out "$OUT" --package; then
  pass "scripts/gen-swift.sh --package (includes clang's @import of the framework module)"
else
  fail "scripts/gen-swift.sh --package"
fi
# An --out that holds someone else's files (e.g. --out bindings/swift by mistake) is refused, and
# the file is still there, unchanged.
gen_swift_foreign_check() {
  local dir="$FINCONN_ROOT/build/packaging/foreign-out"
  rm -rf "$dir" && mkdir -p "$dir/Sources/FinConn" || return 1
  printf 'hand-written\n' >"$dir/Sources/FinConn/Mine.swift"
  ! scripts/gen-swift.sh --lib "$CDYLIB" --out "$dir" >/dev/null 2>&1 || return 1
  [[ "$(cat "$dir/Sources/FinConn/Mine.swift")" == hand-written ]] || return 1
  [[ ! -e "$dir/Headers" && ! -e "$dir/Modules" ]] || return 1
  rm -rf "$dir"
}
check "gen-swift.sh refuses an --out holding files it did not write, and deletes nothing" gen_swift_foreign_check
check "clang is installed (gen-swift.sh's framework-module import check ran, not its cc fallback)" \
  command -v clang
# build-xcframework.sh's make_framework (bindings/swift/make-framework.sh), run here for real with
# plutil (macOS only) replaced by a Python plist parse: an iOS flat and a macOS versioned
# FinConnFFI.framework from the outputs above, each imported by clang with -fmodules through -F,
# as Xcode's clang importer would.
make_framework_check() (
  # A subshell: the plutil stand-in and the sourced function stay out of this script. Every step
  # ends in `|| exit 1`: check() calls this in an `if`, where `set -e` would be ignored.
  plutil() { python3 -c 'import plistlib, sys; plistlib.load(open(sys.argv[1], "rb"))' "$2"; }
  # shellcheck source=../bindings/swift/make-framework.sh
  source "$SWIFT_DIR/make-framework.sh" || exit 1
  work="$FINCONN_ROOT/build/packaging/frameworks-check"
  rm -rf "$work" && mkdir -p "$work" || exit 1
  echo '!<arch>' >"$work/lib$FINCONN_FFI_LIB.a" || exit 1
  make_framework "$work/ios" "$work/lib$FINCONN_FFI_LIB.a" "$OUT" "$S_FFI_MODULE" iPhoneOS 15.0 0.0.0 || exit 1
  make_framework "$work/macos" "$work/lib$FINCONN_FFI_LIB.a" "$OUT" "$S_FFI_MODULE" MacOSX 12.0 0.0.0 || exit 1
  ios="$work/ios/$S_FFI_MODULE.framework" mac="$work/macos/$S_FFI_MODULE.framework"
  test -f "$ios/$S_FFI_MODULE" && test -f "$ios/Info.plist" && test -f "$ios/Modules/module.modulemap" || exit 1
  test "$(readlink "$mac/Versions/Current")" = A && test -L "$mac/Modules" || exit 1
  test -f "$mac/$S_FFI_MODULE" && test -f "$mac/Resources/Info.plist" && test -f "$mac/Headers/$S_FFI_FILE.h" || exit 1
  printf '@import %s;\nint main(void) { RustBuffer b = {0}; (void)b; return 0; }\n' "$S_FFI_MODULE" >"$work/import.m" || exit 1
  for slice in ios macos; do
    clang -x objective-c -fmodules -fsyntax-only -Wall -Werror -Wno-nullability-completeness \
      -fmodules-cache-path="$work/cache-$slice" -F "$work/$slice" "$work/import.m" || exit 1
  done
  rm -rf "$work"
)
check "build-xcframework.sh make_framework: iOS + macOS frameworks that clang imports as $S_FFI_MODULE" \
  make_framework_check
check "generated Swift installed at $SWIFT_DIR/Sources/$S_MODULE/$S_MODULE.swift (FinConn target path)" \
  cmp -s "$OUT/Sources/$S_MODULE/$S_MODULE.swift" "$SWIFT_DIR/Sources/$S_MODULE/$S_MODULE.swift"
check "framework contents: Headers/$S_FFI_FILE.h, Modules/module.modulemap" bash -c \
  'test -f "$1/Headers/$2.h" && test -f "$1/Modules/module.modulemap"' _ "$OUT" "$S_FFI_FILE"
check "module map declares framework module $S_FFI_MODULE (== binaryTarget name) over $S_FFI_FILE.h and FinConnCoreFFI.h" bash -c \
  'grep -q "^framework module $2 {" "$1" && grep -q "header \"$3.h\"" "$1" && grep -q "header \"FinConnCoreFFI.h\"" "$1"' _ "$OUT/Modules/module.modulemap" "$S_FFI_MODULE" "$S_FFI_FILE"
check "module map has no \`use\` declarations (mozilla/uniffi-rs#2917: Xcode 26+ lacks _Builtin_* modules)" bash -c \
  '! grep -qE "^\s*use\s" "$1"' _ "$OUT/Modules/module.modulemap"
check "uniffi.toml: generate_module_map = false (gen-swift.sh writes the module map)" \
  file_has uniffi.toml '^generate_module_map = false$'
check "$S_MODULE.swift imports $S_FFI_MODULE" file_has "$OUT/Sources/$S_MODULE/$S_MODULE.swift" "^\s*import $S_FFI_MODULE$"
check "every function declared in $S_FFI_FILE.h is exported by $(basename "$CDYLIB")" python3 - \
  "$OUT/Headers/$S_FFI_FILE.h" "$CDYLIB" <<'PY'
import re, subprocess, sys
header, lib = open(sys.argv[1]).read(), sys.argv[2]
declared = set(re.findall(r"\b((?:uniffi|ffi)_\w+)\(", header))
nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
exported = {line.split()[-1] for line in nm.splitlines() if line.strip()}
missing = sorted(declared - exported)
print(f"{len(declared)} declared, {len(missing)} missing: {missing[:5]}", file=sys.stderr)
sys.exit(0 if declared and not missing else 1)
PY
check "the shipped library links no HTTP or TLS stack (cargo tree: no reqwest, hyper, rustls, ring, webpki, h2, openssl)" \
  bash -c '! cargo tree -p finconn-ffi -e normal --prefix none --locked 2>/dev/null | grep -qiE "^(reqwest|hyper|hyper-util|rustls|ring|webpki|webpki-roots|h2|openssl|native-tls) "'
check "the shipped library has no HTTP or TLS symbols (nm)" \
  bash -c '! nm "$1" 2>/dev/null | grep -qiE "reqwest|rustls|hyper|webpki|ring_core"' _ "$CDYLIB"
check "shipped Swift API has no test-only export (TestSimulator, testingPanic)" bash -c \
  '! grep -qE "TestSimulator|TestHostileServer|hostileCases|testingPanic|testing_panic" "$1" "$2"' _ \
  "$OUT/Sources/$S_MODULE/$S_MODULE.swift" "$OUT/Headers/$S_FFI_FILE.h"

if "$ANDROID_SCRIPT" --bindings-only --lib "$CDYLIB"; then
  pass "build-android.sh --bindings-only (generation)"
else
  fail "build-android.sh --bindings-only"
fi
KT="$ANDROID_DIR/src/main/kotlin/${K_PACKAGE//.//}/$FINCONN_FFI_LIB.kt"
check "generated Kotlin at $KT (Gradle's default src/main/kotlin, package dir of the namespace)" test -f "$KT"
check "generated Kotlin declares package $K_PACKAGE" file_has "$KT" "^package $K_PACKAGE$"
check "generated Kotlin loads \"$FINCONN_FFI_LIB\" (jniLibs/<abi>/lib$FINCONN_FFI_LIB.so)" \
  file_has "$KT" "findLibraryName\(componentName = \"$FINCONN_FFI_LIB\"\)|return \"$FINCONN_FFI_LIB\""
# Swift structs and Kotlin data classes print every field in their default description/toString():
# none may hold a secret. Secrets live only in objects (SheetConfiguration, HttpRequest).
check "no Swift struct / Kotlin data class field holds a secret, key or token (generated, shipped + Kotlin)" python3 - \
  "$OUT/Sources/$S_MODULE/$S_MODULE.swift" "$ANDROID_DIR/src/main/kotlin/${K_PACKAGE//.//}/$FINCONN_FFI_LIB.kt" <<'PY'
import re, sys
swift, kotlin = open(sys.argv[1]).read(), open(sys.argv[2]).read()
bad = re.compile(r"(?i)secret|publishable|token|apikey|password")
found, structs, classes = [], 0, 0
for m in re.finditer(r"public struct (\w+)[^{\n]*\{(.*?)\n\}", swift, re.S):
    structs += 1
    found += [f"swift {m.group(1)}.{f}" for f in re.findall(r"public (?:var|let) (\w+)\s*:", m.group(2)) if bad.search(f)]
for m in re.finditer(r"data class (\w+)\s*\((.*?)\)\s*[:{]", kotlin, re.S):
    classes += 1
    found += [f"kotlin {m.group(1)}.{f}" for f in re.findall(r"va[rl] `(\w+)`", m.group(2)) if bad.search(f)]
print(f"{structs} structs, {classes} data classes; secret-like fields: {found}", file=sys.stderr)
sys.exit(0 if structs > 20 and classes > 20 and not found else 1)
PY
# Swift and Kotlin apps get signed numbers only (Int32/Int64, Int/Long): an unsigned type in the
# public API of the generated bindings fails here; UniFFI's own scaffolding is not the API.
check "check_unsigned_api.py --self-test: its fixtures (scripts/fixtures/unsigned-api) pass and fail as they must" \
  python3 scripts/check_unsigned_api.py --self-test
check "no unsigned type in the shipped public API (generated Swift and Kotlin, both components)" \
  python3 scripts/check_unsigned_api.py "$OUT/Sources/$S_MODULE/$S_MODULE.swift" "$OUT/Sources/$S_MODULE/FinConnCore.swift" \
  "$ANDROID_DIR/src/main/kotlin/${K_PACKAGE//.//}/$FINCONN_FFI_LIB.kt" "$ANDROID_DIR/src/main/kotlin/${K_PACKAGE//.//}/core/finconn_core.kt"
check "generated outputs stay out of git status" bash -c \
  'test -z "$(git status --porcelain --untracked-files=all -- "$@" 2>/dev/null)"' _ \
  "$SWIFT_DIR/Sources/FinConn/FinConn.swift" "$ANDROID_DIR/src/main/kotlin"

# --- 3. the Swift XCTests against the testing bindings ------------------------------------------
log "Swift XCTests vs the bindings of a --features testing library"
TESTING_CDYLIB="$(FINCONN_FFI_FEATURES=testing build_host_ffi dev)"
cp "$TESTING_CDYLIB" "$LIBS/testing/"
TESTING_CDYLIB="$LIBS/testing/$(basename "$TESTING_CDYLIB")"
TESTING_OUT="$FINCONN_ROOT/build/packaging/swift-testing"
if scripts/gen-swift.sh --lib "$TESTING_CDYLIB" --out "$TESTING_OUT"; then
  pass "scripts/gen-swift.sh from the testing library (build/packaging/swift-testing)"
else
  fail "scripts/gen-swift.sh from the testing library"
fi
check "testing bindings declare TestSimulator and testingPanic" bash -c \
  'grep -q "open class TestSimulator" "$1" && grep -q "public func testingPanic(" "$1"' _ \
  "$TESTING_OUT/Sources/$S_MODULE/$S_MODULE.swift"
check "no unsigned type in the public API of the testing bindings (test-only exports included)" \
  python3 scripts/check_unsigned_api.py "$TESTING_OUT/Sources/$S_MODULE/$S_MODULE.swift" "$TESTING_OUT/Sources/$S_MODULE/FinConnCore.swift"
# The names the Swift tests use are checked by the Swift compiler itself (scripts/swift-tests.sh
# builds and runs them with SwiftPM against these testing bindings); the name checker that stood
# here while no Swift compiler was available is retired.

# Hand-written Swift/Kotlin/KTS of the bindings (Package.swift, tests, Gradle scripts) + generated.
if python3 scripts/parse_check.py --self-test bindings/swift bindings/android bindings/tests \
  "$SWIFT_STRIPE_DIR" "$ANDROID_STRIPE_DIR" "$OUT" "$TESTING_OUT"; then
  pass "parse check: bindings/swift bindings/android bindings/tests, the Stripe adapters + generated (shipped + testing)"
else
  fail "parse check: bindings/swift bindings/android bindings/tests, the Stripe adapters + generated (shipped + testing)"
fi

echo "check-packaging: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
