#!/usr/bin/env bash
# The project's one test command (README.md, .ci/run). Runs, in order, and stops at the first
# failure:
#   0. where crates come from (scripts/cargo-source.sh: a vendored copy beside the checkout, offline,
#      or the registry) and which optional tools this machine has
#   1. formatting and lints (cargo fmt --check, cargo clippy -D warnings); a machine whose Rust
#      toolchain lacks rustfmt or clippy says so loudly and goes on
#   2. every Rust test of the workspace (core, cli — including `fc demo --json` for every scenario —,
#      testkit, ffi), then the pure core alone: `cargo tree` must show no runtime, randomness or FFI
#      crate in it (scripts/check-pure-core.sh), and its tests pass built with its own features only
#   3. the Kotlin bindings on the JVM against the real cdylib (JUnit), then the optional Stripe
#      adapter for Android (bindings/android-stripe) compiled with kotlinc -Werror against them and
#      stand-ins of Stripe's SDK and AndroidX, and the Android quickstart's code (docs/snippets/android)
#      against all of them
#   4. the Swift package with SwiftPM against the real library (XCTest, then the release build
#      linked statically), then the iOS sample's non-UI files compiled against it and Stripe stubs,
#      with XCTests of its SampleController, then the optional Stripe adapter for iOS
#      (bindings/swift-stripe) compiled against it and stand-ins of Stripe's SDK and UIKit, with
#      XCTests driving FlowClient.link through it, and the iOS quickstart's code (docs/snippets/ios)
#      compiled with them: mandatory wherever `swift` exists; without it, said plainly
#   5. Swift generation + tree-sitter parse of every .swift/.kt/.kts in the tree, the API-name check
#      of the sample apps and of the ```kotlin/```swift blocks of every *.md (and of the check's own
#      fixtures), the doc-comment check of every public item of the generated Swift and Kotlin (and
#      of its own fixtures), the quickstarts' marked code blocks equal to the compiled snippet files,
#      and the packaging layout check
#   6. smoke runs of the two Kotlin benchmarks (scripts/ffi-bench.sh, scripts/sync-calls-bench.sh)
#      on a dev build, so that they cannot rot
# Needs: cargo, java 17, python3 (PyPI for tree-sitter), apt's libjna-java + junit4, and either the
# vendored Kotlin compiler beside the checkout or npm (.ci/run installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n== test-all: %s\n' "$*"; }
loud() { printf '\n!!!!!!!! test-all: %s\n' "$*"; }

step "crate source and toolchains"
bash scripts/cargo-source.sh
printf 'rustc: %s\n' "$(rustc --version)"
if command -v swift >/dev/null; then
  printf 'swift: %s (the Swift tests are mandatory on this machine)\n' "$(swift --version 2>&1 | head -n 1)"
else
  printf 'swift: not installed (the Swift package cannot be built or tested here)\n'
fi

step "cargo fmt --check"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all -- --check
else
  loud "NOT CHECKED: formatting. This Rust toolchain has no rustfmt (rustup component add rustfmt)."
fi

step "cargo clippy (all targets, -D warnings)"
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --locked -- -D warnings
else
  loud "NOT CHECKED: lints. This Rust toolchain has no clippy (rustup component add clippy)."
fi

step "cargo test (workspace)"
cargo test --workspace --locked

step "the pure core: its dependency graph, then its tests built alone (no feature unification)"
bash scripts/check-pure-core.sh
cargo test -p finconn-core --locked

step "kill soak: child processes SIGKILLed at random instants on one data directory (finconn-soak)"
cargo run -p finconn-testkit --locked --bin finconn-soak -- --kills 200 --json

step "Kotlin bindings on the JVM (JUnit, real cdylib)"
bash scripts/kotlin-tests.sh

step "Stripe adapter for Android: kotlinc -Werror against the bindings and stand-ins of Stripe's SDK and AndroidX"
bash scripts/stripe-adapters-check.sh --kotlin

if command -v swift >/dev/null; then
  step "Swift package on Linux: swift build + XCTest against the real library, release build linked statically"
  bash scripts/swift-tests.sh
  step "iOS sample's logic on Linux: every non-UI file compiled against FinConn and the Stripe stubs, SampleController XCTests"
  bash scripts/ios-sample-check.sh
  step "Stripe adapter for iOS on Linux: compiled against FinConn and stand-ins of Stripe's SDK and UIKit, XCTests through FlowClient.link"
  bash scripts/stripe-adapters-check.sh --swift
else
  loud "THE SWIFT TESTS DID NOT RUN: this machine has no swift. Only generation, a clang import of the C module and a parse of the Swift sources run below (the iOS Stripe adapter included)."
fi

step "Swift bindings generated and parsed"
bash scripts/gen-swift.sh

step "tree-sitter parse of every .swift/.kt/.kts in the tree"
python3 scripts/parse_check.py bindings ios-sample android-sample docs/snippets build/swift build/kotlin-tests/generated

step "sample apps and the kotlin/swift blocks of every *.md call only API names that exist in the generated bindings"
python3 scripts/check_sample_api.py --self-test
python3 scripts/check_sample_api.py
# The doc check against the real bindings: its correct fixture passes, its broken one fails.
python3 scripts/check_sample_api.py --docs-only scripts/fixtures/doc-api-check/ok.md
if broken="$(python3 scripts/check_sample_api.py --docs-only scripts/fixtures/doc-api-check/broken.md)"; then
  loud "the doc API check passed scripts/fixtures/doc-api-check/broken.md, which names APIs that do not exist"
  exit 1
fi
grep -q 'FlowClient has no member `newFlows`' <<<"$broken" ||
  { printf '%s\n' "$broken"; loud "the doc API check failed broken.md without naming newFlows"; exit 1; }
echo "doc-api-check: broken.md fails as it must ($(grep -c '^scripts/fixtures/' <<<"$broken") problems)"

step "every public item of the generated Swift and Kotlin has a doc comment (from the Rust /// comments)"
python3 scripts/check-doc-comments.py --self-test
python3 scripts/check-doc-comments.py

step "the quickstarts' code blocks marked <!-- snippet: PATH --> are the compiled files docs/snippets/*, verbatim"
python3 scripts/check-doc-snippets.py --self-test
python3 scripts/check-doc-snippets.py

step "packaging layout (Swift package, Android module)"
bash scripts/check-packaging.sh

step "FFI benchmark program still builds and runs (smoke: dev profile, 2000 calls, no criterion)"
bash scripts/ffi-bench.sh --profile dev --n 2000 --warmup 200 --no-criterion

step "synchronous-calls benchmark still builds and runs (smoke: dev profile, 2000 calls each, the 500 µs verdict printed, not enforced)"
bash scripts/sync-calls-bench.sh --profile dev --n 2000 --warmup 200 --report-only

printf '\n== test-all: all green\n'
