#!/usr/bin/env bash
# Run once when a dev container (or a Codespace) is created: the pinned Rust toolchain with the
# wasm32 target (rust-toolchain.toml), `just` into the repository's .tools/ (on PATH through
# devcontainer.json's remoteEnv), then `cargo lab setup`, which installs the checker's own
# tools. Afterwards `just check lab-0` (or `cargo lab check lab-0`) grades the first lab.
# checker/tests/devcontainer.rs runs this script on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust toolchain (rust-toolchain.toml)"
rustup toolchain install
rustc --version

echo "== just, into .tools/bin"
if [ -x .tools/bin/just ]; then
    .tools/bin/just --version
else
    cargo install --locked --quiet --root .tools just --version 1.59.0
fi

echo "== the checker's tools (cargo lab setup)"
cargo lab setup

echo
echo "Ready: run \`just check lab-0\` (or \`cargo lab check lab-0\`) to grade the first lab."
