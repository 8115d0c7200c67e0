#!/usr/bin/env python3
"""Regenerates the book's figures and sample reports from real checker runs.

Run from anywhere (it finds the repository root); python3 standard library only:

    python3 book/tools/refresh.py

It runs, against the checker in target/release (or through `cargo lab` when that is missing):

- `checker size lab-3` and `checker size lab-3 --solution`
      → book/src/figures/lab-3-size.svg (deployed bytes against the budget, and where the
        starting point's code goes, crate by crate)
- `checker check lab-3 --out …` and `checker size lab-3` (the starting point)
      → book/src/reports/lab-3-start.txt, lab-3-size-start.txt
- `checker check lab-3 --solution --format json`
      → book/src/reports/lab-3-solution.json (the JSON report the reference chapter shows)
- `checker list` → book/src/reports/list.txt
- `checker check lab-4 --format json` → book/src/reports/lab-4-start-miss.json (one failed check)
- `checker bench lab-4 --solution` → book/src/reports/bench-lab-4-solution.txt (the reference
  solution against the TypeScript SDK v2 reference, in the same Miniflare)
- `checker --help` and each command's `--help` → book/src/reports/help*.txt
- `checker check lab-4 --out …` (the starting point: most checks fail)
      → book/src/reports/lab-4-start.txt (the human report the lab 4 chapter shows)
- `checker check lab-0 --out …` (the starting point) → book/src/reports/lab-0-start.txt
- `checker check lab-1 --out …` (the starting point) → book/src/reports/lab-1-start.txt
- `checker check lab-2 [--solution] --out …`
      → book/src/reports/lab-2-start.txt, lab-2-solution.txt, and the memory charts those
        runs draw → book/src/figures/lab-2-memory.svg, lab-2-solution-memory.svg

Commit what it writes. Figures are measurements: rerun it after changing a lab, a solution,
or a pinned tool version, never edit the outputs by hand.
"""

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book" / "src"


def checker(*args, check=True):
    binary = ROOT / "target" / "release" / "checker"
    command = [str(binary)] if binary.exists() else ["cargo", "run", "--quiet", "--release", "-p", "checker", "--"]
    print("running: checker " + " ".join(args), file=sys.stderr)
    # A scratch state file: the book shows a fresh checkout's `list`, and these runs are not
    # anyone's progress.
    env = dict(os.environ, CHECKER_STATE=str(ROOT / "target" / "refresh-state.json"))
    (ROOT / "target" / "refresh-state.json").unlink(missing_ok=True)
    done = subprocess.run(command + list(args), cwd=ROOT, capture_output=True, text=True, env=env)
    if check and done.returncode != 0:
        sys.exit(f"checker {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def parse_size(text):
    """The numbers `checker size` prints: totals and the code-by-crate table."""
    raw, gzip, brotli = map(int, re.search(r"raw (\d+) bytes · gzip -9 (\d+) · brotli 11 (\d+)", text).groups())
    baseline = int(re.search(r"starting point's (\d+) bytes", text).group(1))
    crates = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^    (\S.*?)\s+(\d+)\s+([\d.]+) %$", line)
        if m:
            hinted = i + 1 < len(lines) and lines[i + 1].lstrip().startswith("→")
            crates.append((m.group(1), int(m.group(2)), hinted))
    pins = re.search(r"measured with (.*)$", text, re.M).group(1).strip()
    return {"raw": raw, "gzip": gzip, "brotli": brotli, "baseline": baseline, "crates": crates, "pins": pins}


def kb(n):
    return f"{n / 1000:,.0f} KB" if n < 1_000_000 else f"{n / 1_000_000:.2f} MB"


def text_el(x, y, s, size=13, anchor="start", weight="normal", fill="#222"):
    # A white halo keeps text readable where it crosses a line.
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}" stroke="#fff" stroke-width="3" '
            f'paint-order="stroke">{html.escape(s)}</text>')


def figure(start, solution, manifest):
    width, left, right = 760, 170, 40
    plot = width - left - right
    out = []
    y = 34
    out.append(text_el(24, y, "Lab 3: the deployed .wasm, as “cargo lab size lab-3” measures it", 16, weight="bold"))
    y += 22
    out.append(text_el(24, y, "dark: raw bytes (graded) · light: gzip -9 (for information)", 12, fill="#555"))
    y += 18
    # Panel 1: raw size of both, against the budget lines.
    scale = (plot - 250) / start["baseline"]  # room for the labels right of the bars
    full = start["baseline"] * manifest["full_ratio"]
    zero = start["baseline"] * manifest["zero_ratio"]
    top = y + 10
    # Bars, then the budget lines over them, then the labels over both.
    bottom = top + 2 * 46 - 10
    labels = []
    rows = [("starting point", start), ("reference solution", solution)]
    for i, (label, m) in enumerate(rows):
        by = top + i * 46
        labels.append(text_el(left - 10, by + 20, label, 13, anchor="end"))
        out.append(f'<rect x="{left}" y="{by}" width="{m["raw"] * scale:.1f}" height="30" fill="#c8553d" rx="2"/>')
        out.append(f'<rect x="{left}" y="{by + 8}" width="{m["gzip"] * scale:.1f}" height="14" fill="#f0b67f" rx="1"/>')
        share = 100 * m["raw"] / start["baseline"]
        # A white card under the two label lines: the budget lines pass behind it.
        labels.append(f'<rect x="{left + m["raw"] * scale + 4:.1f}" y="{by - 1}" width="150" height="34" fill="#fff"/>')
        labels.append(text_el(left + m["raw"] * scale + 8, by + 13, f"{m['raw']:,} bytes ({share:.1f} %)", 12, weight="bold"))
        labels.append(text_el(left + m["raw"] * scale + 8, by + 28, f"gzip -9: {m['gzip']:,}", 11, fill="#555"))
    for value, label, anchor in [(full, f"full points ≤ {manifest['full_ratio']:.0%} ", "end"),
                                 (zero, f" no points from {manifest['zero_ratio']:.0%}", "start")]:
        x = left + value * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom + 6}" stroke="#1d3557" stroke-width="1.5" stroke-dasharray="5 4"/>')
        labels.append(text_el(x, bottom + 22, label, 11, anchor=anchor, fill="#1d3557"))
    out.extend(labels)
    y = bottom + 54
    # Panel 2: where the starting point's code goes.
    out.append(text_el(24, y, "Where the starting point's code goes (function bodies before wasm-opt, by crate)", 14, weight="bold"))
    y += 12
    crates = start["crates"]
    biggest = max(b for _, b, _ in crates)
    cscale = (plot - 120) / biggest
    for i, (name, bytes_, hinted) in enumerate(crates):
        by = y + 10 + i * 24
        out.append(text_el(left - 10, by + 13, name, 12, anchor="end"))
        colour = "#c8553d" if hinted else "#8d99ae"
        out.append(f'<rect x="{left}" y="{by}" width="{bytes_ * cscale:.1f}" height="17" fill="{colour}" rx="2"/>')
        out.append(text_el(left + bytes_ * cscale + 6, by + 13, f"{bytes_:,}", 11, fill="#444"))
    y = y + 10 + len(crates) * 24 + 16
    out.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="#c8553d"/>')
    out.append(text_el(left + 18, y, "the checker names a fix for this crate", 11, fill="#444"))
    out.append(f'<rect x="{left + 250}" y="{y - 10}" width="12" height="12" fill="#8d99ae"/>')
    out.append(text_el(left + 268, y, "no fix named: std, wasm-bindgen glue, the lab's own code", 11, fill="#444"))
    y += 24
    out.append(text_el(24, y, f"measured with {start['pins']}", 11, fill="#777"))
    height = y + 16
    body = "\n  ".join(out)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
            f'role="img" aria-label="Lab 3 deployed size: starting point {start["raw"]} bytes, reference solution {solution["raw"]} bytes">\n'
            f'  <rect width="{width}" height="{height}" fill="#fff" rx="6"/>\n  {body}\n</svg>\n')


def manifest_ratios():
    text = (ROOT / "checker/labs/lab-3-size-reduction/lab.toml").read_text()
    get = lambda key: float(re.search(rf"^{key} = ([\d.]+)", text, re.M).group(1))
    return {"full_ratio": get("full_ratio"), "zero_ratio": get("zero_ratio")}


def main():
    start_text = checker("size", "lab-3").stdout
    start = parse_size(start_text)
    solution = parse_size(checker("size", "lab-3", "--solution").stdout)
    figures = BOOK / "figures"
    figures.mkdir(exist_ok=True)
    (figures / "lab-3-size.svg").write_text(figure(start, solution, manifest_ratios()))
    print("wrote book/src/figures/lab-3-size.svg", file=sys.stderr)

    reports = BOOK / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "lab-3-size-start.txt").write_text(start_text)
    print("wrote book/src/reports/lab-3-size-start.txt", file=sys.stderr)
    failing(reports / "lab-3-start.txt", "lab-3")
    report = json.loads(checker("check", "lab-3", "--solution", "--format", "json").stdout)
    (reports / "lab-3-solution.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print("wrote book/src/reports/lab-3-solution.json", file=sys.stderr)

    (reports / "list.txt").write_text(checker("list").stdout)
    print("wrote book/src/reports/list.txt", file=sys.stderr)

    failing(reports / "lab-4-start.txt", "lab-4")

    # One failed check of the lab 4 starting point, as JSON: what a miss looks like.
    done = checker("check", "lab-4", "--format", "json", check=False)
    miss = next(c for c in json.loads(done.stdout)["checks"] if c["id"] == "protocol.notifications")
    (reports / "lab-4-start-miss.json").write_text(json.dumps(miss, indent=2, ensure_ascii=False) + "\n")
    print("wrote book/src/reports/lab-4-start-miss.json", file=sys.stderr)

    failing(reports / "lab-0-start.txt", "lab-0")
    failing(reports / "lab-1-start.txt", "lab-1")
    failing(reports / "lab-2-start.txt", "lab-2")
    passing(reports / "lab-2-solution.txt", "lab-2")
    for chart in ["lab-2-memory.svg", "lab-2-solution-memory.svg"]:
        (reports / chart).replace(figures / chart)
        print(f"wrote book/src/figures/{chart}", file=sys.stderr)

    # The complete-server page shows one bench run: figures vary from run to run, ratios less.
    (reports / "bench-lab-4-solution.txt").write_text(checker("bench", "lab-4", "--solution").stdout)
    print("wrote book/src/reports/bench-lab-4-solution.txt", file=sys.stderr)

    # The command reference quotes the checker's own help.
    for command in [[], ["check"], ["list"], ["watch"], ["hint"], ["reset"], ["progress"], ["doctor"], ["render"], ["summary"], ["setup"], ["serve"], ["dev"], ["size"], ["bench"], ["audit"], ["rubric"]]:
        name = "-".join(["help"] + command) + ".txt"
        (reports / name).write_text(checker(*command, "--help").stdout)
    print("wrote book/src/reports/help*.txt", file=sys.stderr)


def failing(target, lab):
    """The human report of a starting point, which must fail some checks (exit status 1)."""
    done = checker("check", lab, "--out", str(target), check=False)
    if done.returncode != 1:
        sys.exit(f"the {lab} starting point should fail some checks (exit 1), got {done.returncode}:\n{done.stderr}")
    relative_paths(target)


def passing(target, lab):
    """The human report of a reference solution, which must pass every check."""
    checker("check", lab, "--solution", "--out", str(target))
    relative_paths(target)


def relative_paths(target):
    """Paths in a report as a student's checkout would show them, not this machine's."""
    text = target.read_text().replace(str(ROOT) + "/", "")
    # Charts land next to --out; without it (as students run it) they go to target/checker/reports.
    text = text.replace("chart: book/src/reports/", "chart: target/checker/reports/")
    target.write_text(text)
    print(f"wrote book/src/reports/{target.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
