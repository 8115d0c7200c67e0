# Thin recipes over the checker; `cargo lab …` does the same without installing just.

set positional-arguments

# List the labs.
default: list

# Grade a lab: `just check lab-4`, `just check 4 --solution`, `just check 4 --format json`.
check lab *args:
    @cargo lab check "$@"

# Grade a lab again on every save, with the runtime kept warm: `just watch lab-3`.
watch lab:
    @cargo lab watch "{{lab}}"

# Serve a lab on 127.0.0.1:8787 for any MCP client, until Ctrl-C.
serve lab *args:
    @cargo lab serve "$@"

# Run a lab with the real `wrangler dev`, its KV, D1 and lab 4's fixture loaded: `just dev lab-4`.
dev lab *args:
    @cargo lab dev "$@"

# Where a lab's deployed bytes go: `just size lab-3`, `just size 3 --solution`.
size lab *args:
    @cargo lab size "$@"

# Will a crate build and run on wasm32 in Workers? `just audit labs/lab-1-crate-audit`.
audit path=".":
    @cargo lab audit "{{path}}"

# List the labs.
list:
    @cargo lab list

# A hint about the first check your last grade missed; again for the next one.
hint lab:
    @cargo lab hint "{{lab}}"

# Is every tool and pin the course needs here? Prints the command that fixes what is missing.
doctor:
    @cargo lab doctor

# Run the whole test suite (what CI runs).
test:
    @cargo test

# Build the course book into book/book (installs mdbook into .tools/ the first time).
book:
    @book/build.sh

# Put a lab back to its starting point (your files are backed up first): `just reset lab-0`.
reset lab *args:
    @cargo lab reset "$@"

# Take your progress to another checkout: `just progress --export p.json`, `--import p.json` there.
progress *args:
    @cargo lab progress "$@"
