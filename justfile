# Thin recipes over the checker; `cargo lab …` does the same without installing just.

set positional-arguments

# List the labs.
default: list

# Grade a lab: `just check lab-4`, `just check 4 --solution`, `just check 4 --format json`.
check lab *args:
    @cargo lab check "$@"

# Serve a lab on 127.0.0.1:8787 for any MCP client, until Ctrl-C.
serve lab *args:
    @cargo lab serve "$@"

# List the labs.
list:
    @cargo lab list

# Run the whole test suite (what CI runs).
test:
    @cargo test

# Build the course book into book/book (installs mdbook into .tools/ the first time).
book:
    @book/build.sh
