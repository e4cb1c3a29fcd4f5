#!/usr/bin/env bash
# Generate the Swift bindings of finconn-ffi and syntax-check them. Runs on Linux and macOS.
#
#   scripts/gen-swift.sh [--release | --profile NAME] [--lib PATH] [--out DIR] [--package]
#
#   --lib PATH   read the UniFFI metadata from this library (.so/.dylib/.a, must be unstripped)
#                instead of building the host cdylib (build-xcframework.sh passes an iOS .a)
#   --out DIR    output root (default build/swift), replaced on every run:
#                  DIR/Sources/FinConn/FinConn.swift   high-level Swift API (module FinConn)
#                  DIR/Sources/FinConn/FinConnCore.swift  the core's types (same module FinConn)
#                  DIR/Headers/FinConnFFI.h            C declarations (+ FinConnCoreFFI.h)
#                  DIR/Modules/module.modulemap        `framework module FinConnFFI` (written here,
#                                                      not by UniFFI: see uniffi.toml)
#                Headers/ and Modules/ are those of the FinConnFFI.framework bundles that
#                build-xcframework.sh puts in the XCFramework (one per platform, with the static
#                library as the framework binary). A framework, not a library + headers
#                directory: Xcode 26.4+ no longer finds a module map in a subdirectory of an
#                XCFramework's Headers/, and one at the top of Headers/ collides with any other
#                such XCFramework in the app's include/ ("Multiple commands produce
#                .../include/module.modulemap"); a framework's Modules/ has neither problem.
#   --package    also install FinConn.swift and FinConnCore.swift into bindings/swift/Sources/FinConn/ (gitignored),
#                where Package.swift's FinConn target expects it
#
# Generated files are never edited by hand and never committed: rerun this script instead.
# Checks: with clang, the framework module is imported (`@import FinConnFFI;` with -fmodules, as
# Swift's clang importer does) from a FinConnFFI.framework assembled from the outputs; without
# clang, a C compile of the header by gcc (clang nullability qualifiers defined away). The Swift
# cannot be compiled on Linux: CI parses it with scripts/parse_check.py.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"

PROFILE="${FINCONN_PROFILE:-dev}"
LIB=""
OUT="$FINCONN_ROOT/build/swift"
INSTALL_PACKAGE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --release) PROFILE=release; shift ;;
    --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
    --profile=*) PROFILE="${1#--profile=}"; shift ;;
    --lib) LIB="${2:?--lib needs a path}"; shift 2 ;;
    --lib=*) LIB="${1#--lib=}"; shift ;;
    --out) OUT="${2:?--out needs a directory}"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --package) INSTALL_PACKAGE=1; shift ;;
    -h | --help) usage "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
# Relative --out/--lib are relative to the caller's directory.
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
case "$LIB" in "" | /*) ;; *) LIB="$PWD/$LIB" ;; esac
cd "$FINCONN_ROOT"

SWIFT_MODULE="FinConn"
FFI_MODULE="FinConnFFI"
# The UniFFI components of the library, in dependency order: the pure core's types
# (FinConnCore.swift, FinConnCoreFFI.h), then the FFI crate's API (FinConn.swift, FinConnFFI.h).
# Every .swift file goes into the one Swift module FinConn; every header into the one clang module
# FinConnFFI (uniffi.toml).
SWIFT_FILES=(FinConnCore FinConn)
HEADERS=(FinConnCoreFFI FinConnFFI)
PACKAGE_SOURCES="$FINCONN_ROOT/bindings/swift/Sources/$SWIFT_MODULE"

# Only ever replace what this script wrote: refuse an --out whose Sources/, Headers/ or Modules/
# hold anything else (e.g. --out bindings/swift would otherwise delete hand-written sources).
foreign="$(find "$OUT/Sources" "$OUT/Headers" "$OUT/Modules" -type f \
  ! -path "$OUT/Sources/$SWIFT_MODULE/$SWIFT_MODULE.swift" \
  ! -path "$OUT/Sources/$SWIFT_MODULE/FinConnCore.swift" \
  ! -path "$OUT/Headers/$FFI_MODULE.h" \
  ! -path "$OUT/Headers/FinConnCoreFFI.h" \
  ! -path "$OUT/Modules/module.modulemap" \
  ! -path "$OUT/Headers/$FFI_MODULE/$FFI_MODULE.h" ! -path "$OUT/Headers/$FFI_MODULE/module.modulemap" \
  2>/dev/null | head -n 3 || true)" # (the last two: the layout of earlier versions of this script)
[[ -z "$foreign" ]] || die "--out $OUT holds files this script did not write (not replacing): $foreign"

if [[ -z "$LIB" ]]; then
  LIB="$(build_host_ffi "$PROFILE")"
fi
[[ -f "$LIB" ]] || die "no library at $LIB"
BINDGEN="$(build_bindgen)"

RAW="$OUT/.uniffi-out"
run_bindgen "$BINDGEN" "$LIB" swift "$RAW"
for f in "${SWIFT_FILES[@]/%/.swift}" "${HEADERS[@]/%/.h}"; do
  [[ -f "$RAW/$f" ]] || die "uniffi-bindgen did not write $f: was uniffi.toml ([crates.*.bindings.swift]) applied?"
done
for h in "${HEADERS[@]}"; do
  [[ ! -e "$RAW/$h.modulemap" ]] ||
    die "uniffi-bindgen wrote $h.modulemap: uniffi.toml must keep generate_module_map = false"
done

rm -rf "$OUT/Sources" "$OUT/Headers" "$OUT/Modules"
mkdir -p "$OUT/Sources/$SWIFT_MODULE" "$OUT/Headers" "$OUT/Modules"
for f in "${SWIFT_FILES[@]}"; do
  mv "$RAW/$f.swift" "$OUT/Sources/$SWIFT_MODULE/$f.swift"
done
for h in "${HEADERS[@]}"; do
  mv "$RAW/$h.h" "$OUT/Headers/$h.h"
done
# The framework's module map: both headers in one module (UniFFI guards what they share with
# UNIFFI_SHARED_H). No `use "Darwin"` / `use "_Builtin_std*"` lines, which UniFFI's own map has
# had since 0.29 (mozilla/uniffi-rs#2917): each header includes <stdbool.h>, <stddef.h> and
# <stdint.h> itself, which is all the module needs.
{
  printf 'framework module %s {\n' "$FFI_MODULE"
  for h in "${HEADERS[@]}"; do printf '    header "%s.h"\n' "$h"; done
  printf '    export *\n}\n'
} >"$OUT/Modules/module.modulemap"
rmdir "$RAW" 2>/dev/null || die "unexpected extra files from uniffi-bindgen in $RAW: $(ls -A "$RAW")"
for f in "${SWIFT_FILES[@]}"; do
  grep -q "import $FFI_MODULE" "$OUT/Sources/$SWIFT_MODULE/$f.swift" ||
    die "$f.swift does not import $FFI_MODULE"
done

# --- checks ------------------------------------------------------------------------------------
CHECK="$OUT/.module-check"
rm -rf "$CHECK"
if command -v clang >/dev/null; then
  # What Swift's clang importer does for `import FinConnFFI`: find FinConnFFI.framework on the
  # framework search path, read Modules/module.modulemap, build the module from its header.
  log "clang: @import $FFI_MODULE from a $FFI_MODULE.framework of the outputs (-fmodules)"
  mkdir -p "$CHECK/Frameworks/$FFI_MODULE.framework"
  cp -R "$OUT/Headers" "$OUT/Modules" "$CHECK/Frameworks/$FFI_MODULE.framework/"
  printf '@import %s;\nint main(void) { RustBuffer buffer = {0}; RustCallStatus status = {0};\n  (void)buffer; (void)status; return 0; }\n' \
    "$FFI_MODULE" >"$CHECK/import.m"
  clang -x objective-c -fmodules -fsyntax-only -Wall -Werror -Wno-nullability-completeness \
    -fmodules-cache-path="$CHECK/cache" -F "$CHECK/Frameworks" "$CHECK/import.m" ||
    die "clang could not import the framework module $FFI_MODULE"
elif command -v cc >/dev/null; then
  log "no clang: C syntax check of $FFI_MODULE.h only (cc)"
  mkdir -p "$CHECK"
  printf '#include "%s.h"\n#include "%s.h"\nint main(void) { return 0; }\n' "${HEADERS[@]}" >"$CHECK/header.c"
  cc -fsyntax-only -std=c11 -Wall -Wextra -Werror -D_Nullable= -D_Nonnull= -D_Null_unspecified= \
    -I "$OUT/Headers" "$CHECK/header.c" || die "$FFI_MODULE.h does not compile"
else
  log "no C compiler: header check skipped"
fi
rm -rf "$CHECK"

if [[ $INSTALL_PACKAGE -eq 1 ]]; then
  mkdir -p "$PACKAGE_SOURCES"
  for f in "${SWIFT_FILES[@]}"; do
    cp "$OUT/Sources/$SWIFT_MODULE/$f.swift" "$PACKAGE_SOURCES/$f.swift"
    log "installed $PACKAGE_SOURCES/$f.swift"
  done
fi

log "Swift bindings in $OUT (from $LIB)"
find "$OUT" -type f ! -name '.*' | sort | sed "s|^$FINCONN_ROOT/||"
