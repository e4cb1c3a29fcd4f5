# shellcheck shell=bash
# Helpers shared by the bindings scripts (kotlin-tests.sh, gen-swift.sh, check-packaging.sh and the
# packaging scripts under bindings/). Source it; it defines functions and variables only.
#
#   FINCONN_ROOT          repository root (derived from this file's location)
#   FINCONN_TOOLS_DIR     cache for downloaded tools (default: $FINCONN_ROOT/build/tools)
#   FINCONN_UNIFFI_CONFIG UniFFI global config (default: $FINCONN_ROOT/uniffi.toml)

FINCONN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FINCONN_TOOLS_DIR="${FINCONN_TOOLS_DIR:-$FINCONN_ROOT/build/tools}"
FINCONN_UNIFFI_CONFIG="${FINCONN_UNIFFI_CONFIG:-$FINCONN_ROOT/uniffi.toml}"
FINCONN_FFI_CRATE="finconn-ffi"
FINCONN_FFI_LIB="finconn_ffi"       # [lib] name = cdylib name = JNA library name
FINCONN_BINDGEN_CRATE="finconn-bindgen"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# NOTE: the functions below are called inside $(...), where bash (without inherit_errexit, e.g.
# macOS's bash 3.2) does not apply `set -e`. Every step therefore checks its own status and calls
# `die`, which exits the substitution with 1 so that the caller's `set -e` stops the script.
shopt -s inherit_errexit 2>/dev/null || true

# Cargo's target directory (honours CARGO_TARGET_DIR and .cargo/config.toml).
cargo_target_dir() {
  if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    printf '%s\n' "$CARGO_TARGET_DIR"
    return
  fi
  local metadata
  metadata="$(cd "$FINCONN_ROOT" && cargo metadata --format-version 1 --no-deps)" ||
    die "cargo metadata failed in $FINCONN_ROOT"
  # No JSON parser needed (the packaging scripts run on a bare macOS/Android host): cargo prints
  # "target_directory":"<path>" with JSON escapes, and a target path holds no quote or backslash.
  local dir
  dir="$(sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p' <<<"$metadata")"
  [[ -n "$dir" && "$dir" != *\\* ]] || die "no plain target_directory in cargo metadata"
  printf '%s\n' "$dir"
}

# Output directory name of a cargo profile: dev/test -> debug, release/bench -> release, else itself.
profile_dir() {
  case "$1" in
    dev | test) echo debug ;;
    release | bench) echo release ;;
    *) echo "$1" ;;
  esac
}

# File name of the host cdylib.
host_cdylib_name() {
  case "$(uname -s)" in
    Darwin) echo "lib${FINCONN_FFI_LIB}.dylib" ;;
    MINGW* | MSYS* | CYGWIN*) echo "${FINCONN_FFI_LIB}.dll" ;;
    *) echo "lib${FINCONN_FFI_LIB}.so" ;;
  esac
}

# Build the host FFI library with a profile; prints the cdylib path.
# FINCONN_FFI_FEATURES (e.g. `testing` for the JVM tests) adds cargo features; shipped builds use none.
# Built with `cargo rustc --crate-type cdylib`: compiling only the cdylib (not also the rlib and the
# staticlib of the manifest) lets LTO drop about a megabyte more code, and it is what ships.
build_host_ffi() {
  local profile="$1" target_dir lib features=()
  [[ -n "${FINCONN_FFI_FEATURES:-}" ]] && features=(--features "$FINCONN_FFI_FEATURES")
  log "cargo rustc -p $FINCONN_FFI_CRATE --lib --crate-type cdylib --profile $profile ${features[*]}"
  (cd "$FINCONN_ROOT" && cargo rustc -p "$FINCONN_FFI_CRATE" --lib --crate-type cdylib --profile "$profile" ${features[@]+"${features[@]}"} >&2) ||
    die "cargo rustc -p $FINCONN_FFI_CRATE --crate-type cdylib --profile $profile ${features[*]} failed"
  target_dir="$(cargo_target_dir)" || exit 1
  lib="$target_dir/$(profile_dir "$profile")/$(host_cdylib_name)"
  [[ -f "$lib" ]] || die "expected $lib after the build"
  printf '%s\n' "$lib"
}

# Build the pinned uniffi-bindgen (host, dev profile: it only reads metadata); prints its path.
# Built separately from finconn-ffi so the library build never unifies in the `cli` feature.
build_bindgen() {
  local target_dir exe
  log "cargo build -p $FINCONN_BINDGEN_CRATE --bin uniffi-bindgen"
  (cd "$FINCONN_ROOT" && cargo build -p "$FINCONN_BINDGEN_CRATE" --bin uniffi-bindgen >&2) ||
    die "cargo build -p $FINCONN_BINDGEN_CRATE failed"
  target_dir="$(cargo_target_dir)" || exit 1
  exe="$target_dir/debug/uniffi-bindgen"
  [[ -x "$exe" ]] || die "expected $exe after the build"
  printf '%s\n' "$exe"
}

# run_bindgen BINDGEN LIBRARY LANGUAGE OUT_DIR
# Library mode (UniFFI auto-detects a library path; `--library` is deprecated since 0.31).
# OUT_DIR is emptied first so stale files from removed APIs never survive (idempotent).
run_bindgen() {
  local bindgen="$1" lib="$2" language="$3" out="$4"
  [[ -f "$FINCONN_UNIFFI_CONFIG" ]] || die "missing UniFFI config $FINCONN_UNIFFI_CONFIG"
  rm -rf "$out"
  mkdir -p "$out"
  log "uniffi-bindgen generate $lib --language $language --config $FINCONN_UNIFFI_CONFIG --out-dir $out"
  # --no-format: output must not depend on whether ktlint/swift-format happen to be installed.
  (cd "$FINCONN_ROOT" && "$bindgen" generate "$lib" --language "$language" \
    --config "$FINCONN_UNIFFI_CONFIG" --out-dir "$out" --no-format >&2) ||
    die "uniffi-bindgen generate --language $language failed"
}

# [workspace.package] version of the root Cargo.toml (no TOML library needed; bash 3.2 + awk).
workspace_version() {
  awk '/^\[workspace\.package\]/ { in_section = 1; next }
       /^\[/ { in_section = 0 }
       in_section && /^version[ \t]*=/ { sub(/^[^"]*"/, ""); sub(/".*$/, ""); print; exit }' \
    "$FINCONN_ROOT/Cargo.toml"
}

# usage SCRIPT: print the script's header comment (its documentation).
usage() {
  awk 'NR == 1 { next } /^set -euo pipefail$/ { exit } /^# shellcheck/ { next } /^#/ { sub(/^# ?/, ""); print }' "$1"
}

# The pinned Kotlin compiler (the npm package `kotlin-compiler`, which also ships kotlin-stdlib.jar
# and kotlinx-coroutines-core-jvm.jar). Taken, in order, from: $FINCONN_KOTLIN_HOME (a directory
# holding bin/kotlinc and lib/); the vendored copy beside the checkout
# (../shared/vendor/kotlin-compiler-<version>/kotlin-compiler, on machines that reach no npm
# registry); or npm, installed once into $FINCONN_TOOLS_DIR. Override the version with
# KOTLIN_COMPILER_VERSION. Sets KOTLINC, KOTLIN_STDLIB and COROUTINES_JAR and logs which it used.
install_kotlin_compiler() {
  local version="${KOTLIN_COMPILER_VERSION:-2.4.20}" prefix home source
  local vendored="$FINCONN_ROOT/../shared/vendor/kotlin-compiler-$version/kotlin-compiler"
  if [[ -n "${FINCONN_KOTLIN_HOME:-}" ]]; then
    home="$FINCONN_KOTLIN_HOME" source="FINCONN_KOTLIN_HOME"
  elif [[ -x "$vendored/bin/kotlinc" ]]; then
    home="$(cd "$vendored" && pwd)" source="vendored copy"
  else
    prefix="$FINCONN_TOOLS_DIR/kotlin-compiler-$version"
    home="$prefix/node_modules/kotlin-compiler" source="npm"
    if [[ ! -x "$home/bin/kotlinc" || ! -f "$home/lib/kotlinx-coroutines-core-jvm.jar" ]]; then
      command -v npm >/dev/null ||
        die "no Kotlin compiler: no vendored copy at $vendored and no npm to install kotlin-compiler@$version"
      log "installing npm kotlin-compiler@$version into $prefix"
      mkdir -p "$prefix"
      npm install --prefix "$prefix" --no-audit --no-fund --no-package-lock --loglevel=error \
        "kotlin-compiler@$version" >&2
    fi
  fi
  KOTLINC="$home/bin/kotlinc"
  [[ -x "$KOTLINC" ]] || die "no executable bin/kotlinc in $home ($source)"
  KOTLIN_STDLIB="$home/lib/kotlin-stdlib.jar"
  COROUTINES_JAR="$home/lib/kotlinx-coroutines-core-jvm.jar"
  local jar
  for jar in "$KOTLIN_STDLIB" "$COROUTINES_JAR"; do
    [[ -f "$jar" ]] || die "$jar missing from the Kotlin compiler in $home"
  done
  log "kotlinc ($source, $home): $("$KOTLINC" -version 2>&1 | tail -n 1)"
}

# A Kotlin benchmark program against a fresh build of the library, as an app gets it:
#   build_kotlin_bench WORK PROFILE BENCH_KT
# Checks java and JNA (JNA_JAR, default Debian's libjna-java), installs the Kotlin compiler, builds
# the cdylib with PROFILE and no features and copies it to WORK/lib (the shared target dir may be
# rebuilt while the JVM has it loaded), generates both components' Kotlin into WORK/generated,
# compiles them with the hand-written Kotlin of the AAR (PlatformHttpTransport.kt,
# FlowClient.open(config, headers)) into WORK/bindings.jar and BENCH_KT into WORK/bench-classes.
# Sets JNA_JAR and CDYLIB (the copy), besides what install_kotlin_compiler sets.
build_kotlin_bench() {
  local work="$1" profile="$2" bench="$3" bindgen f
  local generated=()
  JNA_JAR="${JNA_JAR:-/usr/share/java/jna.jar}"
  [[ -f "$JNA_JAR" ]] || die "$JNA_JAR not found: apt-get install -y libjna-java (or set JNA_JAR)"
  command -v java >/dev/null || die "java not found (JDK 17 expected)"
  install_kotlin_compiler

  rm -rf "$work"
  mkdir -p "$work/lib"
  CDYLIB="$(FINCONN_FFI_FEATURES='' build_host_ffi "$profile")"
  cp "$CDYLIB" "$work/lib/"
  CDYLIB="$work/lib/$(basename "$CDYLIB")"

  bindgen="$(build_bindgen)"
  run_bindgen "$bindgen" "$CDYLIB" kotlin "$work/generated"
  [[ -f "$work/generated/io/finconn/$FINCONN_FFI_LIB.kt" ]] ||
    die "expected $work/generated/io/finconn/$FINCONN_FFI_LIB.kt: was uniffi.toml applied?"
  while IFS= read -r f; do generated+=("$f"); done < <(find "$work/generated" -name '*.kt' | sort)
  log "kotlinc: generated bindings + bindings/android/src/main/java -> $work/bindings.jar"
  "$KOTLINC" -Werror -d "$work/bindings.jar" -classpath "$JNA_JAR:$COROUTINES_JAR" \
    "${generated[@]}" "$FINCONN_ROOT"/bindings/android/src/main/java/io/finconn/*.kt
  log "kotlinc: ${bench#"$FINCONN_ROOT"/} -> $work/bench-classes"
  "$KOTLINC" -Werror -d "$work/bench-classes" -classpath "$work/bindings.jar:$JNA_JAR:$COROUTINES_JAR" \
    "$bench"
}
