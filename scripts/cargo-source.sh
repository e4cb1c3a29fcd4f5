#!/usr/bin/env bash
# Chooses where cargo takes crates from, once per checkout, and says which:
#
#   bash scripts/cargo-source.sh            # decide, write or remove .cargo/vendored.toml, print the mode
#   FINCONN_CRATES=registry|vendored bash scripts/cargo-source.sh   # force one
#   FINCONN_VENDOR_DIR=/path/to/crates  ...                         # another vendored copy
#
# vendored: a directory made by `cargo vendor --versioned-dirs` (default ../shared/vendor/crates,
#           beside the checkout) holds every registry package of Cargo.lock. Cargo then builds
#           --offline from it (source replacement in .cargo/vendored.toml, which
#           .cargo/config.toml includes). Nothing is fetched, so it works on machines that reach no
#           crate registry, and gives the same build on machines that do.
# registry: no such directory, or it lacks a package of Cargo.lock (the lock moved on): cargo
#           fetches from the registry as usual; .cargo/vendored.toml is removed.
# Prints one line `cargo-source: <mode> (<why>)`; exits non-zero only when forced to `vendored`
# and the copy is incomplete.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="$ROOT/.cargo/vendored.toml"
DIR="${FINCONN_VENDOR_DIR:-$ROOT/../shared/vendor/crates}"
WANT="${FINCONN_CRATES:-auto}"

# Every registry package of Cargo.lock as name-version (cargo vendor --versioned-dirs names).
missing_packages() {
  awk '/^\[\[package\]\]/ { name = ""; version = "" }
       /^name = /    { name = $3; gsub(/"/, "", name) }
       /^version = / { version = $3; gsub(/"/, "", version) }
       /^source = "registry\+/ { print name "-" version }' "$ROOT/Cargo.lock" |
    while IFS= read -r package; do
      [[ -f "$DIR/$package/Cargo.toml" ]] || printf '%s\n' "$package"
    done
}

use_registry() {
  rm -f "$CONFIG"
  echo "cargo-source: registry ($1)"
}

case "$WANT" in
  registry) use_registry "FINCONN_CRATES=registry"; exit 0 ;;
  auto | vendored) ;;
  *) echo "cargo-source: FINCONN_CRATES must be registry or vendored, not $WANT" >&2; exit 2 ;;
esac

if [[ ! -d "$DIR" ]]; then
  [[ "$WANT" == vendored ]] && { echo "cargo-source: no vendored crates at $DIR" >&2; exit 1; }
  use_registry "no vendored crates at $DIR"
  exit 0
fi
DIR="$(cd "$DIR" && pwd)"
missing="$(missing_packages)"
missing="$(head -n 5 <<<"$missing")"
if [[ -n "$missing" ]]; then
  [[ "$WANT" == vendored ]] && { echo "cargo-source: $DIR lacks: $missing" >&2; exit 1; }
  use_registry "$DIR lacks packages of Cargo.lock, e.g. $(tr '\n' ' ' <<<"$missing")"
  exit 0
fi
mkdir -p "$ROOT/.cargo"
cat >"$CONFIG" <<TOML
# Written by scripts/cargo-source.sh: every crate of Cargo.lock from a vendored copy, offline.
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "$DIR"

[net]
offline = true
TOML
echo "cargo-source: vendored ($DIR holds every registry package of Cargo.lock; builds are offline)"
