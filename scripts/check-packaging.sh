#!/usr/bin/env bash
# shellcheck disable=SC2016 # the bash -c checks take their arguments as $1, $2... on purpose
# Check the iOS/Android packaging as far as Linux can: everything but xcodebuild, swift, the NDK
# and Gradle.
#
#   scripts/check-packaging.sh
#
# 1. static: the packaging files exist, are well-formed (bash -n, XML, tree-sitter for Swift/KTS),
#    and agree with each other and with uniffi.toml (module, package and library names, minSdk,
#    Rust targets, ABIs, the paths the scripts write vs the paths Package.swift/Gradle read);
# 2. generation through the real scripts from the host library:
#      scripts/gen-swift.sh --package                  -> bindings/swift/Sources/FinConn/FinConn.swift
#      bindings/android/build-android.sh --bindings-only -> bindings/android/src/main/kotlin/io/finconn/
#    and the outputs land where Package.swift / Gradle expect them, are gitignored, and every C
#    function the generated header declares is exported by the library.
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
for f in scripts/*.sh scripts/lib/*.sh "$XCF_SCRIPT" "$ANDROID_SCRIPT"; do
  check "bash -n $f" bash -n "$f"
done
if command -v shellcheck >/dev/null; then
  check "shellcheck -x (all bindings scripts)" shellcheck -x scripts/*.sh scripts/lib/*.sh "$XCF_SCRIPT" "$ANDROID_SCRIPT"
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
check "workspace members include bindings/ffi and bindings/uniffi-bindgen" file_has Cargo.toml \
  '^members = \[.*"bindings/ffi".*"bindings/uniffi-bindgen"'

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
  'for w in "lipo -create" "xcodebuild -create-xcframework" "strip -S -x" "swift package compute-checksum" "scripts/gen-swift.sh" "--package"; do grep -qF -- "$w" "$1" || exit 1; done' _ "$XCF_SCRIPT"
check "build-xcframework.sh writes \$HERE/$S_FFI_MODULE.xcframework (Package.swift's path)" \
  file_has "$XCF_SCRIPT" 'XCFRAMEWORK="\$HERE/\$FFI_MODULE\.xcframework"'
check "build-xcframework.sh: FFI_MODULE=$S_FFI_MODULE" file_has "$XCF_SCRIPT" "^FFI_MODULE=\"$S_FFI_MODULE\"$"

# Android
check "build.gradle.kts: com.android.library + kotlin-android + maven-publish" bash -c \
  'grep -q "id(\"com.android.library\")" "$1" && grep -q "id(\"org.jetbrains.kotlin.android\")" "$1" && grep -q "\`maven-publish\`" "$1"' _ "$GRADLE_BUILD"
check "build.gradle.kts: namespace == uniffi.toml kotlin package ($K_PACKAGE)" file_has "$GRADLE_BUILD" "namespace = \"$K_PACKAGE\""
check "build.gradle.kts: JNA as @aar, kotlinx-coroutines-android" bash -c \
  'grep -qE "net\.java\.dev\.jna:jna:5\.[0-9.]+@aar" "$1" && grep -q "kotlinx-coroutines-android" "$1"' _ "$GRADLE_BUILD"
check "build.gradle.kts: consumer-rules.pro wired" file_has "$GRADLE_BUILD" 'consumerProguardFiles\("consumer-rules\.pro"\)'
gradle_min_sdk="$(sed -nE 's/^\s*minSdk = ([0-9]+).*/\1/p' "$GRADLE_BUILD")"
script_min_sdk="$(sed -nE 's/^MIN_SDK=([0-9]+).*/\1/p' "$ANDROID_SCRIPT")"
check "minSdk 21 in Gradle == cargo ndk --platform in build-android.sh" test "${gradle_min_sdk:-x}/${script_min_sdk:-y}" = "21/21"
check "consumer-rules.pro keeps JNA and $K_PACKAGE" bash -c \
  'grep -qF -- "-keep class com.sun.jna.** { *; }" "$1" && grep -qF -- "-keep class $2.** { *; }" "$1"' _ "$ANDROID_DIR/consumer-rules.pro" "$K_PACKAGE"
check "build-android.sh: cargo ndk for arm64-v8a armeabi-v7a x86_64 x86 into src/main/jniLibs" bash -c \
  'grep -q "^ABIS=(arm64-v8a armeabi-v7a x86_64 x86)$" "$1" && grep -q "cargo ndk \"\${ndk_targets\[@\]}\" --platform \"\$MIN_SDK\" -o src/main/jniLibs build --release" "$1"' _ "$ANDROID_SCRIPT"

# .gitignore covers every build output the scripts write into the source tree.
for p in "$SWIFT_DIR/Sources/FinConn/FinConn.swift" "$SWIFT_DIR/FinConnFFI.xcframework/Info.plist" \
  "$SWIFT_DIR/build/x" "$SWIFT_DIR/dist/FinConnFFI.xcframework.zip" "$SWIFT_DIR/.build/x" \
  "$ANDROID_DIR/src/main/jniLibs/arm64-v8a/lib$FINCONN_FFI_LIB.so" "$ANDROID_DIR/src/main/kotlin/io/finconn/x.kt" \
  "$ANDROID_DIR/build/x" build/swift/x bindings/generated/x; do
  check "gitignored: $p" git check-ignore -q --no-index "$p"
done
for p in "$PACKAGE_SWIFT" "$SWIFT_DIR/Sources/FinConn/FinConnPackage.swift" "$GRADLE_BUILD" \
  "$ANDROID_DIR/src/main/AndroidManifest.xml" bindings/tests/kotlin/SelftestBindingsTest.kt; do
  check "not ignored (committed source): $p" bash -c '! git check-ignore -q --no-index "$1"' _ "$p"
done

# --- 2. generation through the real scripts ----------------------------------------------------
log "generation (host library)"
CDYLIB="$(build_host_ffi dev)"
OUT="$FINCONN_ROOT/build/packaging/swift"
if scripts/gen-swift.sh --lib "$CDYLIB" --out "$OUT" --package; then
  pass "scripts/gen-swift.sh --package (includes its parse and header checks)"
else
  fail "scripts/gen-swift.sh --package"
fi
check "generated Swift installed at $SWIFT_DIR/Sources/$S_MODULE/$S_MODULE.swift (FinConn target path)" \
  cmp -s "$OUT/Sources/$S_MODULE/$S_MODULE.swift" "$SWIFT_DIR/Sources/$S_MODULE/$S_MODULE.swift"
check "xcframework headers: Headers/$S_FFI_MODULE/{$S_FFI_FILE.h,module.modulemap}" bash -c \
  'test -f "$1/Headers/$2/$3.h" && test -f "$1/Headers/$2/module.modulemap"' _ "$OUT" "$S_FFI_MODULE" "$S_FFI_FILE"
check "module map declares module $S_FFI_MODULE (== binaryTarget name) with header $S_FFI_FILE.h" bash -c \
  'grep -q "^module $2 {" "$1" && grep -q "header \"$3.h\"" "$1"' _ "$OUT/Headers/$S_FFI_MODULE/module.modulemap" "$S_FFI_MODULE" "$S_FFI_FILE"
check "$S_MODULE.swift imports $S_FFI_MODULE" file_has "$OUT/Sources/$S_MODULE/$S_MODULE.swift" "^\s*import $S_FFI_MODULE$"
check "every function declared in $S_FFI_FILE.h is exported by $(basename "$CDYLIB")" python3 - \
  "$OUT/Headers/$S_FFI_MODULE/$S_FFI_FILE.h" "$CDYLIB" <<'PY'
import re, subprocess, sys
header, lib = open(sys.argv[1]).read(), sys.argv[2]
declared = set(re.findall(r"\b((?:uniffi|ffi)_\w+)\(", header))
nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
exported = {line.split()[-1] for line in nm.splitlines() if line.strip()}
missing = sorted(declared - exported)
print(f"{len(declared)} declared, {len(missing)} missing: {missing[:5]}", file=sys.stderr)
sys.exit(0 if declared and not missing else 1)
PY

if "$ANDROID_SCRIPT" --bindings-only --lib "$CDYLIB"; then
  pass "build-android.sh --bindings-only (generation + parse check)"
else
  fail "build-android.sh --bindings-only"
fi
KT="$ANDROID_DIR/src/main/kotlin/${K_PACKAGE//.//}/$FINCONN_FFI_LIB.kt"
check "generated Kotlin at $KT (Gradle's default src/main/kotlin, package dir of the namespace)" test -f "$KT"
check "generated Kotlin declares package $K_PACKAGE" file_has "$KT" "^package $K_PACKAGE$"
check "generated Kotlin loads \"$FINCONN_FFI_LIB\" (jniLibs/<abi>/lib$FINCONN_FFI_LIB.so)" \
  file_has "$KT" "findLibraryName\(componentName = \"$FINCONN_FFI_LIB\"\)|return \"$FINCONN_FFI_LIB\""
check "generated outputs stay out of git status" bash -c \
  'test -z "$(git status --porcelain --untracked-files=all -- "$@" 2>/dev/null)"' _ \
  "$SWIFT_DIR/Sources/FinConn/FinConn.swift" "$ANDROID_DIR/src/main/kotlin"

# Hand-written Swift/Kotlin/KTS of the bindings (Package.swift, tests, Gradle scripts) + generated.
if python3 scripts/parse_check.py --self-test bindings/swift bindings/android bindings/tests "$OUT"; then
  pass "parse check: bindings/swift bindings/android bindings/tests + generated"
else
  fail "parse check: bindings/swift bindings/android bindings/tests + generated"
fi

echo "check-packaging: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
