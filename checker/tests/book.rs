//! The course book (`book/`): it builds with the repository's own mdbook (installed into
//! `.tools/` by `book/build.sh` when missing) without a single warning, every `{{#include}}`
//! finds its file and anchor, every internal link and `#fragment` of the generated HTML points
//! at something that exists, and every anchor the checker's reports link to is there.
//!
//! One test, so the book is built once; it lists every problem it finds, not only the first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Book pages and the anchors on them that the checker's reports and size hints link to.
/// (Anchors found in the checker's own sources are checked too; these must exist regardless.)
const REQUIRED_ANCHORS: &[(&str, &[&str])] = &[
    (
        "labs/lab-2-memory-profiling.md",
        &["growth", "peak", "the-limit", "the-tool"],
    ),
    (
        "labs/lab-3-size-reduction.md",
        &[
            "behaviour",
            "dates",
            "formatting",
            "regex",
            "serde",
            "startup",
            "the-budget",
            "url",
            "data",
        ],
    ),
    (
        "labs/lab-4-full-server.md",
        &[
            "bad-input",
            "batches",
            "build",
            "json-rpc-errors",
            "http",
            "initialize",
            "notifications",
            "ping",
            "queries",
            "read-only-sql",
            "schema",
            "stateless-2026-07-28",
            "tool-errors",
            "tools",
            "version-negotiation",
            "task-1-http",
            "task-2-json-rpc-errors",
            "task-3-the-initialize-era",
            "task-4-the-tools-list-and-the-kv-tools",
            "task-5-queries-tool-errors-and-read-only-sql",
            "task-6-the-2026-07-28-revision",
            "task-7-the-whole-server",
        ],
    ),
    ("reference/checker.md", &["build"]),
];

#[test]
fn the_book_builds_cleanly_and_every_include_link_and_anchor_resolves() {
    let root = root();
    let output = Command::new(root.join("book/build.sh"))
        .current_dir(&root)
        .output()
        .expect("cannot run book/build.sh");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "book/build.sh failed:\n{log}");
    // mdbook logs ` WARN …` and `ERROR …` (a missing include is only an ERROR line: the build
    // still succeeds). Cargo's own `warning:` lines, from a first-time install, do not count.
    let noisy: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains("ERROR "))
        .collect();
    assert!(
        noisy.is_empty(),
        "mdbook reported problems:\n{}",
        noisy.join("\n")
    );

    let mut problems = Vec::new();
    check_diagrams(&root, &mut problems);
    check_includes(&root.join("book/src"), &mut problems);
    let site = Site::load(&root.join("book/book"));
    check_links(&site, &mut problems);
    for (page, anchors) in REQUIRED_ANCHORS {
        for anchor in *anchors {
            check_doc_link(
                &site,
                &format!("{page}#{anchor}"),
                "required",
                &mut problems,
            );
        }
    }
    for (doc, source) in checker_doc_links(&root.join("checker/src")) {
        check_doc_link(&site, &doc, &source, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) in the book:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The diagrams are drawn by `book/tools/diagrams.py`: each committed SVG is what the script
/// draws now (`--check`), and each is shown by some page.
fn check_diagrams(root: &Path, problems: &mut Vec<String>) {
    let check = Command::new("python3")
        .arg(root.join("book/tools/diagrams.py"))
        .arg("--check")
        .output()
        .expect("cannot run python3 book/tools/diagrams.py --check");
    if !check.status.success() {
        problems.push(format!(
            "diagrams: {}",
            String::from_utf8_lossy(&check.stderr).trim()
        ));
    }
    let src = root.join("book/src");
    let pages: String = files(&src, "md")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let diagrams: Vec<PathBuf> = files(&src.join("figures"), "svg")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("diagram-")
        })
        .collect();
    if diagrams.len() < 4 {
        problems.push(format!("expected the four diagrams, found {diagrams:?}"));
    }
    for diagram in diagrams {
        let name = diagram.file_name().unwrap().to_string_lossy().into_owned();
        if !pages.contains(&format!("figures/{name}")) {
            problems.push(format!("figures/{name} is drawn but no page shows it"));
        }
    }
}

/// Files outside `solutions/` that show a lab's answer: a page before the lab may not use
/// them either. (Everything under `solutions/<lab>/` counts, and so do these.)
const SOLUTION_ARTEFACTS: &[(&str, &[&str])] = &[
    // The size figure draws the reference solution's bar next to the starting point's.
    (
        "lab-3-size-reduction",
        &["figures/lab-3-size.svg", "reports/lab-3-solution"],
    ),
    (
        "lab-2-memory-profiling",
        &["figures/lab-2-solution", "reports/lab-2-solution"],
    ),
];

/// The pages of SUMMARY.md, in reading order (paths relative to book/src).
fn reading_order(src: &Path) -> Vec<String> {
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    summary
        .lines()
        .filter_map(|line| {
            let start = line.find("](")? + 2;
            let end = start + line[start..].find(')')?;
            Some(line[start..end].to_owned())
        })
        .collect()
}

/// Every file a page pulls in or shows: `{{#include …}}` targets and `![…](…)` images.
fn referenced_files(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close) in [("{{#include ", "}}"), ("](", ")")] {
        let mut rest = page;
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len()..];
            if let Some(end) = rest.find(close) {
                found.push(rest[..end].trim().to_owned());
            }
        }
    }
    found
}

/// No spoilers (issue 20): a page that comes before a lab's chapter in the reading order may
/// not include that lab's solution code, its solution reports or figures, or the solution's
/// graded measurement. The debrief pages come after their lab, so they may.
#[test]
fn no_page_before_a_lab_shows_that_labs_solution() {
    let src = root().join("book/src");
    let order = reading_order(&src);
    let position = |page: &str| order.iter().position(|p| p == page);
    // lab-3's graded size, as the solution report the book shows measured it: 292,230.
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(src.join("reports/lab-3-solution.json")).unwrap(),
    )
    .unwrap();
    let raw = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "size.raw-bytes")
        .and_then(|c| c["measured"]["value"].as_f64())
        .expect("the lab-3 solution report has size.raw-bytes") as u64;
    let raw_text = {
        let digits = raw.to_string();
        let mut out = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(d);
        }
        out
    };

    let labs: Vec<&String> = order
        .iter()
        .filter(|p| p.starts_with("labs/lab-") && !p.contains("debrief"))
        .collect();
    assert!(
        labs.len() >= 5,
        "SUMMARY.md lists the lab chapters: {order:?}"
    );
    let mut problems = Vec::new();
    for lab_page in labs {
        let lab = lab_page.trim_start_matches("labs/").trim_end_matches(".md");
        let chapter = position(lab_page).unwrap();
        let mut patterns = vec![format!("solutions/{lab}/")];
        for (name, extra) in SOLUTION_ARTEFACTS {
            if *name == lab {
                patterns.extend(extra.iter().map(|e| e.to_string()));
            }
        }
        for page in &order[..chapter] {
            let text = std::fs::read_to_string(src.join(page)).unwrap();
            for file in referenced_files(&text) {
                if let Some(p) = patterns.iter().find(|p| file.contains(p.as_str())) {
                    problems.push(format!(
                        "{page} comes before {lab_page} but shows `{file}` ({p})"
                    ));
                }
            }
            if lab == "lab-3-size-reduction" && text.contains(&raw_text) {
                problems.push(format!(
                    "{page} comes before {lab_page} but quotes the solution's size, {raw_text}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "answers shown before their lab:\n{}",
        problems.join("\n")
    );
}

/// Every `{{#include path}}` / `{{#include path:anchor}}` / `{{#include path:from:to}}` in the
/// sources names a file that exists, and a named anchor that the file opens, closes and fills.
/// (mdbook reports a missing file, but silently includes nothing for a missing anchor.)
fn check_includes(src: &Path, problems: &mut Vec<String>) {
    for page in files(src, "md") {
        let text = std::fs::read_to_string(&page).unwrap();
        let shown = page.strip_prefix(src).unwrap().display().to_string();
        for directive in text.split("{{#include ").skip(1) {
            let Some(end) = directive.find("}}") else {
                problems.push(format!("{shown}: unterminated {{{{#include"));
                continue;
            };
            let spec = directive[..end].trim();
            let (path, selector) = match spec.split_once(':') {
                Some((p, s)) => (p, Some(s)),
                None => (spec, None),
            };
            let file = page.parent().unwrap().join(path);
            let Ok(content) = std::fs::read_to_string(&file) else {
                problems.push(format!("{shown}: includes {path}, which does not exist"));
                continue;
            };
            let Some(selector) = selector else { continue };
            let first = selector.split(':').next().unwrap_or_default();
            if first.is_empty() || first.chars().all(|c| c.is_ascii_digit()) {
                continue; // a line range
            }
            let begin = content
                .lines()
                .position(|l| anchor_line(l, "ANCHOR:", first));
            let finish = content
                .lines()
                .position(|l| anchor_line(l, "ANCHOR_END:", first));
            match (begin, finish) {
                (Some(b), Some(f)) if f > b + 1 => {}
                (Some(_), Some(_)) => {
                    problems.push(format!("{shown}: anchor `{first}` in {path} is empty"))
                }
                _ => problems.push(format!(
                    "{shown}: {path} has no anchor `{first}` (ANCHOR: {first} … ANCHOR_END: {first})"
                )),
            }
        }
    }
}

fn anchor_line(line: &str, marker: &str, name: &str) -> bool {
    line.split_once(marker)
        .is_some_and(|(_, rest)| rest.split_whitespace().next() == Some(name))
}

/// The generated site: every HTML page with the ids it defines, and every file.
struct Site {
    dir: PathBuf,
    /// Page path relative to the site root (`labs/lab-3-size-reduction.html`) → its HTML.
    pages: BTreeMap<String, String>,
    ids: BTreeMap<String, BTreeSet<String>>,
}

impl Site {
    fn load(dir: &Path) -> Site {
        let mut pages = BTreeMap::new();
        let mut ids = BTreeMap::new();
        for file in files(dir, "html") {
            let rel = relative(dir, &file);
            let html = std::fs::read_to_string(&file).unwrap();
            ids.insert(rel.clone(), attribute_values(&html, "id").collect());
            pages.insert(rel, html);
        }
        assert!(
            pages.contains_key("index.html"),
            "no index.html in {}",
            dir.display()
        );
        Site {
            dir: dir.to_path_buf(),
            pages,
            ids,
        }
    }
}

/// Every `href` and `src` of every page: local files must exist, fragments must be ids there.
fn check_links(site: &Site, problems: &mut Vec<String>) {
    for (page, html) in &site.pages {
        // The 404 page is served from the site root with absolute links; it has none of ours.
        if page == "404.html" {
            continue;
        }
        let links: BTreeSet<String> = attribute_values(html, "href")
            .chain(attribute_values(html, "src"))
            .map(|l| l.replace("&amp;", "&"))
            .collect();
        for link in links {
            if link.is_empty()
                || link.contains("://")
                || link.starts_with("//")
                || ["mailto:", "javascript:", "data:"]
                    .iter()
                    .any(|s| link.starts_with(s))
            {
                continue;
            }
            let (path, fragment) = match link.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (link.as_str(), None),
            };
            let path = path.split('?').next().unwrap_or_default();
            let target = if path.is_empty() {
                page.clone()
            } else {
                match resolve(page, path) {
                    Some(t) => t,
                    None => {
                        problems.push(format!("{page}: link {link} leaves the book"));
                        continue;
                    }
                }
            };
            let file = site.dir.join(&target);
            let target = if file.is_dir() {
                format!("{}/index.html", target.trim_end_matches('/'))
            } else {
                target
            };
            if !site.dir.join(&target).is_file() {
                problems.push(format!(
                    "{page}: link {link} → {target}, which does not exist"
                ));
                continue;
            }
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                if let Some(ids) = site.ids.get(&target) {
                    if !ids.contains(fragment) {
                        problems.push(format!(
                            "{page}: link {link} → no id=\"{fragment}\" in {target}"
                        ));
                    }
                }
            }
        }
    }
}

/// A `doc` link as the checker writes it (`labs/lab-4-full-server.md#tools`, relative to
/// `book/src`): the page must be in the book and the anchor on it.
fn check_doc_link(site: &Site, doc: &str, from: &str, problems: &mut Vec<String>) {
    let (page, anchor) = doc.split_once('#').unwrap_or((doc, ""));
    let html = page.trim_end_matches(".md").to_owned() + ".html";
    match site.ids.get(&html) {
        None => problems.push(format!("{doc} ({from}): the book has no page {page}")),
        Some(ids) if !anchor.is_empty() && !ids.contains(anchor) => problems.push(format!(
            "{doc} ({from}): {page} has no heading with the id `{anchor}`"
        )),
        Some(_) => {}
    }
}

/// Every `"….md#anchor"` string in the checker's sources (size hints…) and in
/// `checker/checks.toml` (each check's `doc`), with the file it is in; templates (`{id}`)
/// are skipped.
fn checker_doc_links(src: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let metas = src.parent().unwrap().join("checks.toml");
    for file in files(src, "rs").into_iter().chain([metas]) {
        let text = std::fs::read_to_string(&file).unwrap();
        for piece in text.split('"').skip(1).step_by(2) {
            let candidate = piece.trim_start_matches("book/src/");
            let Some((page, anchor)) = candidate.split_once(".md#") else {
                continue;
            };
            let plain = |s: &str, extra: &[char]| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
            };
            if plain(page, &['-', '_', '/']) && plain(anchor, &['-', '_']) {
                found.insert(
                    format!("{page}.md#{anchor}"),
                    format!("checker/{}", relative(src.parent().unwrap(), &file)),
                );
            }
        }
    }
    found
}

/// The values of `name="…"` attributes, in order.
fn attribute_values(html: &str, name: &str) -> std::vec::IntoIter<String> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect::<Vec<_>>()
        .into_iter()
}

/// `link` as seen from `page`, as a path relative to the site root; `None` if it climbs out.
fn resolve(page: &str, link: &str) -> Option<String> {
    let base = Path::new(page).parent().unwrap_or(Path::new(""));
    let mut parts: Vec<String> = Vec::new();
    for component in base.join(link).components() {
        match component {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

fn relative(base: &Path, file: &Path) -> String {
    file.strip_prefix(base)
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Files under `dir` with extension `ext`, recursively, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
