#!/usr/bin/env bash
# The pure core stays pure because of its dependency graph, not a flag: `finconn-core` with its
# default features must depend on no async runtime (tokio), no randomness (fastrand), no FFI
# (uniffi) and no HTTP or TLS crate, and core/Cargo.toml must not hide dependencies behind
# `[target.'cfg(...)']` tables. The networked half is `finconn-client` (client/).
#
#   scripts/check-pure-core.sh
set -euo pipefail
cd "$(dirname "$0")/.."

FORBIDDEN='^(tokio|fastrand|uniffi|uniffi_core|reqwest|hyper|rustls|native-tls|openssl|async-trait|libc|socket2|mio) '
tree="$(cargo tree -p finconn-core -e normal --prefix none --locked)"
printf '%s\n' "$tree" | sort -u | sed 's/^/  /'
if bad="$(printf '%s\n' "$tree" | grep -E "$FORBIDDEN" | sort -u)"; [[ -n "$bad" ]]; then
  printf 'check-pure-core: FAIL: finconn-core (default features) depends on:\n%s\n' "$bad" >&2
  exit 1
fi
if grep -nE "^\[target\.|cfg\(" core/Cargo.toml; then
  printf 'check-pure-core: FAIL: core/Cargo.toml has cfg-gated tables (above)\n' >&2
  exit 1
fi
if grep -rn 'finconn''_pure' --exclude-dir=target --exclude-dir=.git --exclude-dir=build . ; then
  printf 'check-pure-core: FAIL: the retired purity flag is still named (above)\n' >&2
  exit 1
fi
echo "check-pure-core: OK: finconn-core depends on $(printf '%s\n' "$tree" | sort -u | wc -l | tr -d ' ') crates, none of them a runtime, randomness, FFI, HTTP or TLS crate"
