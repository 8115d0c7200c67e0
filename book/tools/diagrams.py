#!/usr/bin/env python3
"""Draws the book's four diagrams as SVG, from the descriptions below (python3 standard library).

    python3 book/tools/diagrams.py          # writes book/src/figures/diagram-*.svg
    python3 book/tools/diagrams.py --check  # exits 1 if a committed diagram differs (the book test)

Unlike refresh.py's charts, these are not measurements: they are drawings of how things fit
together. Edit the description here, never the SVG, and rerun. Each diagram is a list of
shapes placed by hand on a 760-pixel-wide canvas; the helpers below only draw.
"""

import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "book" / "src" / "figures"
WIDTH = 760

INK = "#222"
MUTED = "#666"
RUST = "#b7410e"
BLUE = "#2d6cb3"
FILLS = {
    "plain": "#ffffff",
    "rust": "#fbe9e1",
    "js": "#fff6d6",
    "runtime": "#e8f0fa",
    "store": "#e9f5e9",
    "grey": "#f2f2f2",
}


def esc(text):
    return html.escape(text, quote=True)


def text(x, y, s, size=13, anchor="middle", weight="normal", fill=INK, italic=False):
    style = ' font-style="italic"' if italic else ""
    return (f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{style}>{esc(s)}</text>')


def box(x, y, w, h, lines, fill="plain", stroke=INK, title=None, dashed=False, size=13):
    """A rounded box; `title` in bold at the top, then `lines` centred below it."""
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    out = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{FILLS[fill]}" '
           f'stroke="{stroke}" stroke-width="1.2"{dash}/>']
    rows = ([(title, "bold")] if title else []) + [(line, "normal") for line in lines]
    if rows:
        step = size + 5
        top = y + h / 2 - (len(rows) - 1) * step / 2 + size / 3
        if title and h > step * (len(rows) + 2):
            top = y + size + 8  # a container: title at the top, contents drawn inside
        for i, (line, weight) in enumerate(rows):
            out.append(text(x + w / 2, top + i * step, line, size=size, weight=weight))
    return "\n".join(out)


def arrow(x1, y1, x2, y2, label=None, colour=INK, dashed=False, label_dx=0, label_dy=-6):
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    out = [f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="1.4" '
           f'marker-end="url(#head)"{dash}/>']
    if label:
        out.append(text((x1 + x2) / 2 + label_dx, (y1 + y2) / 2 + label_dy, label, size=12, fill=colour))
    return "\n".join(out)


def svg(name, height, title, description, shapes):
    body = "\n".join(shapes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" role="img" '
        f'aria-labelledby="{name}-title {name}-desc">\n'
        f'<title id="{name}-title">{esc(title)}</title>\n'
        f'<desc id="{name}-desc">{esc(description)}</desc>\n'
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/>'
        '</marker></defs>\n'
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>\n{body}\n</svg>\n'
    )


def isolates():
    """runtime.md: requests, isolates, and where state can live."""
    s = []
    top = 40
    s.append(box(150, top, 590, 300, [], fill="grey", title="one machine in a Cloudflare location: a workerd process"))
    for i, (x, name) in enumerate([(170, "isolate A"), (460, "isolate B")]):
        s.append(box(x, top + 35, 260, 190, [], fill="runtime", title=name))
        s.append(box(x + 15, top + 65, 230, 40, ["JavaScript shim + wasm-bindgen glue"], fill="js", size=12))
        s.append(box(x + 15, top + 113, 230, 58, ["one Wasm instance: its linear memory,", "its globals, its statics"], fill="rust", size=12))
        s.append(text(x + 130, top + 192, "128 MB for JS heap + linear memory", size=12, fill=MUTED))
        s.append(text(x + 130, top + 210, "lives until the runtime evicts it", size=12, fill=MUTED))
    # Requests arriving
    s.append(text(60, top + 28, "requests", weight="bold"))
    for i, y in enumerate([top + 55, top + 90, top + 125]):
        s.append(arrow(20, y, 168, y, label=f"request {i + 1}", label_dx=-10))
    s.append(arrow(660, 4, 660, top + 33, colour=BLUE))
    s.append(text(650, 20, "request 4: a new isolate, when one is needed", anchor="end", size=12, fill=BLUE))
    s.append(text(445, top + 250, "Requests 1–3 may run at the same time in isolate A, interleaved at each .await:", size=12))
    s.append(text(445, top + 268, "they share its globals. Isolate B shares nothing with A.", size=12))
    s.append(box(170, top + 325, 550, 50, ["KV, D1, Durable Objects, R2: the only state every isolate sees"], fill="store"))
    s.append(arrow(300, top + 300, 300, top + 323, colour=MUTED))
    s.append(arrow(590, top + 300, 590, top + 323, colour=MUTED))
    return svg(
        "isolates", top + 390,
        "Requests, isolates and state on Workers",
        "One workerd process on a machine runs several isolates. Each isolate holds the JavaScript "
        "glue and one WebAssembly instance with its linear memory and globals, within 128 MB. "
        "Several requests can run in the same isolate, interleaved at awaits, and share its "
        "globals; a new isolate shares nothing. State shared by all isolates lives in KV, D1, "
        "Durable Objects or R2.",
        s,
    )


def event_loop():
    """async.md: two requests on one thread, interleaved at their awaits."""
    s = []
    left, unit = 190, 52  # x of time 0, pixels per step
    a_rust, a_io, b_rust, b_io = 60, 120, 180, 240
    lanes = [("request A: your Rust", a_rust), ("runtime: A's I/O", a_io),
             ("request B: your Rust", b_rust), ("runtime: B's I/O", b_io)]
    for name, y in lanes:
        s.append(text(175, y + 5, name, anchor="end", size=12, weight="bold"))
        s.append(f'<line x1="{left}" y1="{y}" x2="{left + 10.5 * unit}" y2="{y}" stroke="#ddd"/>')

    def run(lane_y, start, end, label, fill="rust"):
        return box(left + start * unit, lane_y - 14, (end - start) * unit, 28, [label], fill=fill, size=12)

    s.append(run(a_rust, 0, 2, "parse, check"))
    s.append(run(a_io, 2, 6.5, "KV get for A", fill="runtime"))
    s.append(run(b_rust, 2.5, 4.5, "parse, check"))
    s.append(run(b_io, 4.5, 9.5, "fetch for B", fill="runtime"))
    s.append(run(a_rust, 6.5, 8, "reply A"))
    s.append(run(b_rust, 9.5, 10.5, "reply B"))
    for x, top, bottom in [(2, a_rust, a_io), (4.5, b_rust, b_io)]:
        s.append(arrow(left + x * unit, top + 14, left + x * unit, bottom - 16, label=".await", label_dx=-26, label_dy=4, colour=BLUE))
    for x, top, bottom in [(6.5, a_rust, a_io), (9.5, b_rust, b_io)]:
        s.append(arrow(left + x * unit, bottom - 14, left + x * unit, top + 16, label="resumes", label_dx=-32, label_dy=4, colour=BLUE))
    s.append(f'<rect x="{left + 4.5 * unit}" y="98" width="{2 * unit}" height="160" fill="{BLUE}" opacity="0.07"/>')
    s.append(text(left + 5.5 * unit, 275, "both I/Os in flight", size=12, fill=BLUE))
    s.append(arrow(left, 292, left + 10.6 * unit, 292, label="time", label_dx=250, label_dy=16, colour=MUTED))
    notes = [
        "One thread: at most one orange bar runs at any moment. An .await that waits on I/O hands",
        "the thread back to the event loop, which runs another request's code meanwhile.",
        "CPU time counts the orange bars only; deployed, Date.now() moves only between them, on I/O.",
        "A loop that never awaits holds the thread: every other request in the isolate waits.",
    ]
    for i, line in enumerate(notes):
        s.append(text(30, 332 + i * 19, line, anchor="start", size=13))
    return svg(
        "event-loop", 412,
        "Two requests sharing one isolate's thread",
        "Request A's Rust code runs, then awaits a KV read; while the read is in flight request "
        "B's code runs and awaits a fetch, so both I/O operations are in flight at once. A resumes "
        "when its read completes and replies, then B resumes and replies. Only one piece of Rust "
        "runs at a time; CPU time counts only the time spent running.",
        s,
    )


def linear_memory():
    """memory.md: where a Rust module's linear memory goes, and how it grows."""
    s = []
    y, h = 70, 60
    parts = [  # (x, width, title, lines, fill)
        (30, 150, "stack", ["1 MiB, grows down", "toward address 0"], "rust"),
        (180, 120, "static data", [".rodata, .data", "(tables, strings)"], "js"),
        (300, 260, "heap (dlmalloc)", ["freed blocks are reused;", "pages are never given back"], "store"),
        (560, 170, "grown pages", ["memory.grow, 64 KiB", "each, when full"], "grey"),
    ]
    for x, w, title, lines, fill in parts:
        s.append(box(x, y, w, h, lines, fill=fill, title=title, size=12,
                     dashed=(title == "grown pages")))
    s.append(text(30, y - 10, "address 0", anchor="start", size=12, fill=MUTED))
    s.append(text(180, y - 10, "1 MiB", anchor="middle", size=12, fill=MUTED))
    s.append(text(300, y - 10, "__heap_base", anchor="middle", size=12, fill=MUTED))
    s.append(text(560, y - 10, "initial size", anchor="middle", size=12, fill=MUTED))
    s.append(arrow(565, y + h + 20, 725, y + h + 20, label="grows; never shrinks", label_dy=16, colour=BLUE))
    s.append(text(30, 190, "The memory size only goes up: after a 40 MiB peak, it stays at least 40 MiB for the", anchor="start"))
    s.append(text(30, 209, "life of the instance. That high-water mark, plus the JavaScript heap, counts against", anchor="start"))
    s.append(text(30, 228, "the isolate's 128 MB. Past it, the runtime may cancel requests (error 1102).", anchor="start"))
    s.append(f'<line x1="30" y1="255" x2="730" y2="255" stroke="{RUST}" stroke-width="2" stroke-dasharray="6 4"/>')
    s.append(text(730, 275, "128 MB per isolate: JS heap + linear memory", anchor="end", size=12, fill=RUST))
    return svg(
        "linear-memory", 290,
        "The linear memory of a Rust Worker",
        "From address 0: the stack, 1 MiB, growing down; static data; the heap managed by dlmalloc, "
        "which reuses freed blocks but never returns pages; and pages added by memory.grow in "
        "64 KiB steps. The size never shrinks, so the high-water mark stays, and with the "
        "JavaScript heap it counts against the isolate's 128 MB.",
        s,
    )


def build_pipeline():
    """toolchain.md: from `cargo build` to what `wrangler deploy` uploads."""
    s = []
    steps = [
        ("1. cargo build", ["for wasm32,", "with your profile"], "rust"),
        ("2. wasm-bindgen", ["--target module:", "JS glue + .wasm"], "js"),
        ("3. wasm-opt", ["your flags or -O;", "names kept"], "runtime"),
        ("4. producers", ["sdk: workers-rs", "added to the module"], "grey"),
        ("5. esbuild", ["shim + glue", "→ build/index.js"], "js"),
    ]
    x, w, gap, y = 20, 132, 17, 40
    for i, (title, lines, fill) in enumerate(steps):
        bx = x + i * (w + gap)
        s.append(box(bx, y, w, 70, lines, fill=fill, title=title, size=12))
        if i:
            s.append(arrow(bx - gap, y + 35, bx - 1, y + 35))
    s.append(text(20, 25, "worker-build (the [build] command of wrangler.toml); the checker makes the same .wasm with the same pinned tools:", anchor="start", size=12, fill=MUTED))
    s.append(box(330, 160, 210, 50, ["build/index_bg.wasm"], fill="rust", title="the module"))
    s.append(box(570, 160, 170, 50, ["build/index.js"], fill="js", title="the JavaScript"))
    s.append(arrow(533, 112, 470, 158, colour=MUTED))
    s.append(arrow(682, 112, 660, 158, colour=MUTED))
    s.append(box(330, 250, 410, 44, ["wrangler deploy uploads both (the sizes it prints)"], fill="store"))
    s.append(arrow(435, 212, 435, 248))
    s.append(arrow(655, 212, 655, 248))
    s.append(text(30, 322, "cargo lab size and lab 3 grade this module, byte for byte what is uploaded; the runtime", anchor="start"))
    s.append(text(30, 341, "compiles it when an isolate starts.", anchor="start"))
    return svg(
        "build-pipeline", 355,
        "From cargo build to the uploaded Worker",
        "worker-build runs cargo build for wasm32-unknown-unknown, wasm-bindgen, wasm-opt with "
        "the crate's flags or -O plus --debuginfo, adds a producers entry, and bundles the shim "
        "and glue with esbuild. The result is build/index_bg.wasm and build/index.js, which "
        "wrangler deploy uploads; the checker builds the same module with the same tools (its own entry module replaces the JavaScript).",
        s,
    )


DIAGRAMS = {
    "diagram-isolates.svg": isolates,
    "diagram-event-loop.svg": event_loop,
    "diagram-linear-memory.svg": linear_memory,
    "diagram-build-pipeline.svg": build_pipeline,
}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, draw in DIAGRAMS.items():
        path = FIGURES / name
        drawn = draw()
        if check:
            if not path.exists() or path.read_text() != drawn:
                stale.append(name)
        else:
            path.write_text(drawn)
            print(f"wrote book/src/figures/{name}", file=sys.stderr)
    if stale:
        sys.exit("out of date (run python3 book/tools/diagrams.py and commit): " + ", ".join(stale))


if __name__ == "__main__":
    main()
