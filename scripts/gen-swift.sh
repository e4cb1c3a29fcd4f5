#!/usr/bin/env bash
# Generate the Swift bindings of finconn-ffi and syntax-check them. Runs on Linux and macOS.
#
#   scripts/gen-swift.sh [--release | --profile NAME] [--lib PATH] [--out DIR] [--package]
#
#   --lib PATH   read the UniFFI metadata from this library (.so/.dylib/.a, must be unstripped)
#                instead of building the host cdylib (build-xcframework.sh passes an iOS .a)
#   --out DIR    output root (default build/swift), replaced on every run:
#                  DIR/Sources/FinConn/FinConn.swift            high-level Swift API (module FinConn)
#                  DIR/Headers/FinConnFFI/FinConnFFI.h          C declarations
#                  DIR/Headers/FinConnFFI/module.modulemap      clang module FinConnFFI
#                The Headers/FinConnFFI/ directory is what build-xcframework.sh passes to
#                `xcodebuild -create-xcframework -headers` (one subdirectory per module so that
#                several XCFrameworks' module maps never collide in an app's include path).
#   --package    also install FinConn.swift into bindings/swift/Sources/FinConn/ (gitignored),
#                where Package.swift's FinConn target expects it
#
# Generated files are never edited by hand and never committed: rerun this script instead.
# Checks: tree-sitter parse of the Swift (scripts/parse_check.py) and a C compile of the header
# (clang, or gcc with the clang nullability qualifiers defined away).
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
PACKAGE_SOURCES="$FINCONN_ROOT/bindings/swift/Sources/$SWIFT_MODULE"

# Only ever replace what this script wrote: refuse an --out whose Sources/ or Headers/ hold
# anything else (e.g. --out bindings/swift would otherwise delete hand-written sources).
foreign="$(find "$OUT/Sources" "$OUT/Headers" -type f \
  ! -path "$OUT/Sources/$SWIFT_MODULE/$SWIFT_MODULE.swift" \
  ! -path "$OUT/Headers/$FFI_MODULE/$FFI_MODULE.h" \
  ! -path "$OUT/Headers/$FFI_MODULE/module.modulemap" 2>/dev/null | head -n 3 || true)"
[[ -z "$foreign" ]] || die "--out $OUT holds files this script did not write (not replacing): $foreign"

if [[ -z "$LIB" ]]; then
  LIB="$(build_host_ffi "$PROFILE")"
fi
[[ -f "$LIB" ]] || die "no library at $LIB"
BINDGEN="$(build_bindgen)"

RAW="$OUT/.uniffi-out"
run_bindgen "$BINDGEN" "$LIB" swift "$RAW"
for f in "$SWIFT_MODULE.swift" "$FFI_MODULE.h" "$FFI_MODULE.modulemap"; do
  [[ -f "$RAW/$f" ]] || die "uniffi-bindgen did not write $f: was uniffi.toml ([crates.finconn_ffi.bindings.swift]) applied?"
done

rm -rf "$OUT/Sources" "$OUT/Headers"
mkdir -p "$OUT/Sources/$SWIFT_MODULE" "$OUT/Headers/$FFI_MODULE"
mv "$RAW/$SWIFT_MODULE.swift" "$OUT/Sources/$SWIFT_MODULE/$SWIFT_MODULE.swift"
mv "$RAW/$FFI_MODULE.h" "$OUT/Headers/$FFI_MODULE/$FFI_MODULE.h"
# Clang looks for <search path>/<Module>/module.modulemap; XCFrameworks expect that file name.
mv "$RAW/$FFI_MODULE.modulemap" "$OUT/Headers/$FFI_MODULE/module.modulemap"
rmdir "$RAW" 2>/dev/null || die "unexpected extra files from uniffi-bindgen in $RAW: $(ls -A "$RAW")"
grep -q "module $FFI_MODULE " "$OUT/Headers/$FFI_MODULE/module.modulemap" ||
  die "module map does not declare module $FFI_MODULE"
grep -q "import $FFI_MODULE" "$OUT/Sources/$SWIFT_MODULE/$SWIFT_MODULE.swift" ||
  die "$SWIFT_MODULE.swift does not import $FFI_MODULE"

# --- checks ------------------------------------------------------------------------------------
log "parse check of the generated Swift"
python3 "$FINCONN_ROOT/scripts/parse_check.py" "$OUT/Sources"

log "C syntax check of $FFI_MODULE.h"
hdr_test="$OUT/.header-check.c"
printf '#include "%s.h"\nint main(void) { return 0; }\n' "$FFI_MODULE" >"$hdr_test"
if command -v clang >/dev/null; then
  clang -fsyntax-only -std=c11 -Wall -Werror -Wno-nullability-completeness \
    -I "$OUT/Headers/$FFI_MODULE" "$hdr_test"
elif command -v cc >/dev/null; then
  cc -fsyntax-only -std=c11 -Wall -Wextra -Werror -D_Nullable= -D_Nonnull= -D_Null_unspecified= \
    -I "$OUT/Headers/$FFI_MODULE" "$hdr_test"
else
  log "no C compiler: header check skipped"
fi
rm -f "$hdr_test"

if [[ $INSTALL_PACKAGE -eq 1 ]]; then
  mkdir -p "$PACKAGE_SOURCES"
  cp "$OUT/Sources/$SWIFT_MODULE/$SWIFT_MODULE.swift" "$PACKAGE_SOURCES/$SWIFT_MODULE.swift"
  log "installed $PACKAGE_SOURCES/$SWIFT_MODULE.swift"
fi

log "Swift bindings in $OUT (from $LIB)"
find "$OUT" -type f ! -name '.*' | sort | sed "s|^$FINCONN_ROOT/||"
