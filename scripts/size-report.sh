#!/usr/bin/env bash
# Size of the shipped library: the host (x86_64 Linux) release cdylib of finconn-ffi, without
# cargo features, stripped the way the packaging scripts strip what they ship.
#
#   scripts/size-report.sh [--budget BYTES] [--no-bloat]
#
# 1. cargo build -p finconn-ffi --release (profile.release of the root Cargo.toml: opt-level "z",
#    LTO, one codegen unit, panic = "unwind", strip = false), never with FINCONN_FFI_FEATURES;
# 2. copies libfinconn_ffi.so to build/size/ and strips a second copy (`llvm-strip --strip-unneeded`
#    if installed, else binutils `strip --strip-unneeded`);
# 3. prints the unstripped and stripped sizes in bytes and MB (1 MB = 1,048,576 bytes here, the
#    unit of the budget);
# 4. generates the Kotlin and Swift bindings from the UNSTRIPPED copy (what the packaging scripts
#    do) and fails if that does not work; also says whether the stripped copy still carries UniFFI's
#    metadata (information only: bindings are never generated from a stripped library);
# 5. unless --no-bloat, the 15 biggest crates and functions of .text with cargo-bloat
#    (`cargo install cargo-bloat --locked`; skipped with a note if it is not installed), run on a
#    cdylib-only wrapper crate because cargo-bloat rejects finconn-ffi's cdylib+staticlib+lib;
# 6. fails if the stripped library is larger than the budget: --budget BYTES, or env
#    FINCONN_SIZE_BUDGET, default 1849232 (the size before the crate split: it may only shrink).
# The last line is `size-report: stripped N bytes (X MB), budget M bytes: OK|OVER`.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/bindings-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bindings-common.sh"
cd "$FINCONN_ROOT"

BUDGET="${FINCONN_SIZE_BUDGET:-1849232}"
BLOAT=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --budget) BUDGET="${2:?--budget needs a number of bytes}"; shift 2 ;;
    --budget=*) BUDGET="${1#--budget=}"; shift ;;
    --no-bloat) BLOAT=0; shift ;;
    -h | --help) usage "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$BUDGET" =~ ^[0-9]+$ ]] || die "budget must be a number of bytes, got: $BUDGET"

mb() { python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1048576:.2f}")' "$1"; }
size_of() { wc -c <"$1" | tr -d ' '; }

# --- 1. build (the shipped configuration: no features) ------------------------------------------
LIB="$(FINCONN_FFI_FEATURES='' build_host_ffi release)"
WORK="$FINCONN_ROOT/build/size"
rm -rf "$WORK"
mkdir -p "$WORK/unstripped" "$WORK/stripped"
# Copies: the shared target dir may be rebuilt by someone else while this runs.
UNSTRIPPED="$WORK/unstripped/$(basename "$LIB")"
STRIPPED="$WORK/stripped/$(basename "$LIB")"
cp "$LIB" "$UNSTRIPPED"
cp "$LIB" "$STRIPPED"

# --- 2. strip -----------------------------------------------------------------------------------
if command -v llvm-strip >/dev/null; then
  STRIP=(llvm-strip --strip-unneeded)
elif command -v strip >/dev/null; then
  STRIP=(strip --strip-unneeded)
else
  die "neither llvm-strip nor strip found (apt-get install binutils)"
fi
log "${STRIP[*]} $STRIPPED"
"${STRIP[@]}" "$STRIPPED"

# --- 3. sizes -----------------------------------------------------------------------------------
UNSTRIPPED_BYTES="$(size_of "$UNSTRIPPED")"
STRIPPED_BYTES="$(size_of "$STRIPPED")"
echo "library:    $(basename "$LIB") ($(uname -m), profile release, no features)"
echo "unstripped: $UNSTRIPPED_BYTES bytes ($(mb "$UNSTRIPPED_BYTES") MB)"
echo "stripped:   $STRIPPED_BYTES bytes ($(mb "$STRIPPED_BYTES") MB)  [${STRIP[*]}]"
if command -v size >/dev/null; then
  echo "sections of the stripped library (size -A, largest first):"
  size -A "$STRIPPED" | awk 'NR > 2 && $2 > 0 && $1 != "Total" { printf "  %-22s %10d\n", $1, $2 }' | sort -k2 -n -r | head -n 8
fi

# --- 4. bindings from the unstripped copy -------------------------------------------------------
BINDGEN="$(build_bindgen)"
run_bindgen "$BINDGEN" "$UNSTRIPPED" kotlin "$WORK/bindings/kotlin"
run_bindgen "$BINDGEN" "$UNSTRIPPED" swift "$WORK/bindings/swift"
[[ -f "$WORK/bindings/kotlin/io/finconn/$FINCONN_FFI_LIB.kt" && -f "$WORK/bindings/swift/FinConn.swift" ]] ||
  die "bindings generated from the unstripped library are incomplete"
echo "bindings:   generated from the unstripped copy (Kotlin io/finconn/$FINCONN_FFI_LIB.kt, Swift FinConn.swift)"
# The metadata UniFFI reads are UNIFFI_META_* symbols; report what strip left of them.
meta_unstripped="$(nm "$UNSTRIPPED" 2>/dev/null | grep -c ' UNIFFI_META_' || true)"
meta_stripped="$(nm "$STRIPPED" 2>/dev/null | grep -c ' UNIFFI_META_' || true)"
meta_dynamic="$(nm -D "$STRIPPED" 2>/dev/null | grep -c ' UNIFFI_META_' || true)"
echo "metadata:   UNIFFI_META_* symbols: $meta_unstripped in the unstripped copy, $meta_stripped in the stripped one's symbol table, $meta_dynamic exported"
if (run_bindgen "$BINDGEN" "$STRIPPED" kotlin "$WORK/bindings/from-stripped") >/dev/null 2>&1 &&
  [[ -n "$(find "$WORK/bindings/from-stripped" -name '*.kt' -size +1k 2>/dev/null)" ]]; then
  echo "            (the bindgen also accepted the stripped copy here; the scripts still always use the unstripped one)"
else
  echo "            (the bindgen finds no UniFFI metadata in the stripped copy: it looks the UNIFFI_META_* symbols up"
  echo "            in the symbol table, .symtab, which strip removes; hence bindings only from the unstripped build)"
fi

# --- 5. biggest contributors --------------------------------------------------------------------
# `cargo bloat -p finconn-ffi --release --lib` refuses this crate ("only 'bin', 'dylib' and
# 'cdylib' crate types are supported": it is cdylib + staticlib + lib). So cargo-bloat analyses a
# throwaway cdylib-only crate that re-exports finconn-ffi (build/size/bloat-cdylib: same lockfile,
# same [profile.release], same target dir, hence the same compiled dependencies); its exported
# symbols are the same uniffi_*/ffi_* functions. Its stripped size is printed too: it is what a
# cdylib-only build of finconn-ffi weighs (no rlib/staticlib crate type in the same compilation).
if [[ $BLOAT -eq 1 ]]; then
  if cargo bloat --version >/dev/null 2>&1; then
    BLOAT_CRATE="$WORK/bloat-cdylib"
    mkdir -p "$BLOAT_CRATE"
    cp "$FINCONN_ROOT/Cargo.lock" "$BLOAT_CRATE/Cargo.lock"
    printf 'pub use finconn_ffi::*;\n' >"$BLOAT_CRATE/lib.rs"
    {
      printf '[package]\nname = "finconn-ffi-bloat"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
      printf '[lib]\nname = "finconn_ffi_bloat"\npath = "lib.rs"\ncrate-type = ["cdylib"]\n\n'
      printf '[dependencies]\nfinconn-ffi = { path = "%s" }\n\n' "$FINCONN_ROOT/bindings/ffi"
      # The root's release profile, verbatim (a package outside the workspace does not inherit it).
      awk '/^\[profile\.release\]/ { on = 1; print; next } /^\[/ { on = 0 } on' "$FINCONN_ROOT/Cargo.toml"
      printf '\n[workspace]\n'
    } >"$BLOAT_CRATE/Cargo.toml"
    TARGET_DIR="$(cargo_target_dir)"
    log "cargo bloat --release --crates -n 15 (in $BLOAT_CRATE)"
    (cd "$BLOAT_CRATE" && CARGO_TARGET_DIR="$TARGET_DIR" CARGO_NET_OFFLINE=true cargo bloat --release --crates -n 15)
    log "cargo bloat --release -n 15 (functions)"
    (cd "$BLOAT_CRATE" && CARGO_TARGET_DIR="$TARGET_DIR" CARGO_NET_OFFLINE=true cargo bloat --release -n 15)
    BLOAT_SO="$TARGET_DIR/release/libfinconn_ffi_bloat.so"
    if [[ -f "$BLOAT_SO" ]]; then
      "${STRIP[@]}" -o "$WORK/bloat-cdylib.stripped.so" "$BLOAT_SO"
      b="$(size_of "$WORK/bloat-cdylib.stripped.so")"
      echo "cdylib-only build (what cargo-bloat analysed): stripped $b bytes ($(mb "$b") MB)"
    fi
  else
    log "cargo-bloat not installed (cargo install cargo-bloat --locked): biggest contributors skipped"
  fi
fi

# --- 6. budget ----------------------------------------------------------------------------------
if [[ "$STRIPPED_BYTES" -le "$BUDGET" ]]; then
  echo "size-report: stripped $STRIPPED_BYTES bytes ($(mb "$STRIPPED_BYTES") MB), budget $BUDGET bytes ($(mb "$BUDGET") MB): OK"
else
  echo "size-report: stripped $STRIPPED_BYTES bytes ($(mb "$STRIPPED_BYTES") MB), budget $BUDGET bytes ($(mb "$BUDGET") MB): OVER by $((STRIPPED_BYTES - BUDGET)) bytes"
  exit 1
fi
