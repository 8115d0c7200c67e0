#!/usr/bin/env bash
# Tests the book's examples three ways: natively, in Node (wasm-bindgen-test), and in workerd
# (Miniflare). Needs the tools the checker installs: run `cargo lab setup` once first.
# The suite runs it (checker/tests/book_examples.rs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="$root/target"
manifest=book/examples/Cargo.toml

echo "== natively"
cargo test --quiet --manifest-path "$manifest"

echo "== in Node, with wasm-bindgen-test"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$root/.tools/bin/wasm-bindgen-test-runner" \
    cargo test --manifest-path "$manifest" --target wasm32-unknown-unknown

echo "== in workerd, through Miniflare"
cargo build --quiet --manifest-path "$manifest" --release --target wasm32-unknown-unknown
out="$CARGO_TARGET_DIR/book-examples"
"$root/.tools/bin/wasm-bindgen" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/book_examples.wasm" \
    --out-dir "$out" --target web --no-typescript
cp book/examples/entry.mjs "$out/index.mjs"
BOOK_EXAMPLES_DIR="$out" node --test book/examples/miniflare.test.mjs
