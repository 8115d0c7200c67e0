#!/usr/bin/env bash
# Builds the course book into book/book with the repository's own mdbook (installed into
# .tools/ on first use, like the checker's tools). `just book` runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="0.5.4"
mdbook="$root/.tools/bin/mdbook"
if ! "$mdbook" --version 2>/dev/null | grep -qx "mdbook v$version"; then
    echo "installing mdbook $version into .tools/ (one time, about 90 s)…" >&2
    cargo install mdbook --version "$version" --root "$root/.tools" --quiet
fi
cd "$root"
exec "$mdbook" build book "$@"
