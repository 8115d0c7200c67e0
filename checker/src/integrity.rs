//! Whether the files that grade a lab are still the course's.
//!
//! Two kinds of course-owned file:
//!
//! - the course itself — the checker, the lab manifests with their budgets, corpora, fixtures,
//!   the MCP schemas, the runtime harness, the toolchain and npm pins — listed with their
//!   SHA-256 in [`LIST`] (written by `checker integrity --write`; a test fails when it is stale);
//! - files inside a lab crate that belong to the course (`[integrity] protected` in the lab's
//!   manifest: graded tests, data a corpus was recorded with), compared with the course's copy
//!   under `checker/labs/<lab>/protected/`.
//!
//! A changed file is reported as a failed `integrity` check. A library lab is graded in a
//! staged copy of the crate with the course's versions of its protected files ([`stage`]), so
//! an edited test cannot make it pass. In CI the workflow restores the course's own files from
//! the base branch before grading, so a pull request cannot change what grades it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::checks::Outcome;
use crate::course::{CrateRef, Lab};
use crate::report::{Location, Status};

/// The list of the course's own files and their hashes, relative to the repository root.
/// Read and written here only ([`recorded`], [`write_list`]; [`list_path`] for where it is).
pub const LIST: &str = "checker/course-files.toml";

/// The list file's content: each course file with its hash.
#[derive(serde::Serialize, serde::Deserialize)]
struct List {
    files: BTreeMap<String, String>,
}

/// Where the list is in the checkout at `root` (its presence marks a course checkout).
pub fn list_path(root: &Path) -> PathBuf {
    root.join(LIST)
}

/// What the list covers: directories (recursively) and single files.
const COURSE_PATHS: &[&str] = &[
    "checker/Cargo.toml",
    "checker/checks.toml",
    "checker/src",
    "checker/labs",
    "checker/harness",
    "checker/bench",
    "checker/mcp-schema",
    "checker/probe/Cargo.toml",
    "checker/probe/src",
    "rust-toolchain.toml",
    ".cargo/config.toml",
    "package.json",
    "package-lock.json",
];

/// Course files a class may keep out of the students' copy (`.ci/class-template` removes
/// them; `.ci/grade-pr` puts them back from a CI secret). Missing, they are not a change; present,
/// they must be the course's, so a student cannot plant a key of their own.
pub const WITHHELD: &[&str] = &["checker/labs/lab-1-crate-audit/audit-key.toml"];

/// The environment variable a class's CI hands lab 1's audit key in: the key file, base64.
pub const AUDIT_KEY_VAR: &str = "COURSE_AUDIT_KEY_B64";

/// The key handed in [`AUDIT_KEY_VAR`], decoded (`None` when none was handed, or it is not
/// base64). Taken once, by [`take_handed_key`].
static HANDED_KEY: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();

/// Takes the audit key out of the environment before the checker starts any process, so
/// that nothing it runs — a student's build script or tests included — inherits it; the key
/// is never written to disk either. `main` calls it first, while the process has one thread.
pub fn take_handed_key() {
    use base64::Engine as _;
    let handed = std::env::var(AUDIT_KEY_VAR).ok();
    if handed.is_some() {
        std::env::remove_var(AUDIT_KEY_VAR);
    }
    let _ = HANDED_KEY.set(handed.and_then(|text| {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
    }));
}

/// A withheld course file's bytes: from disk when present, else from the CI's hand when it
/// is the course's (its hash is the recorded one). `Err` says why there is none.
pub fn withheld_file(root: &Path, path: &str) -> std::result::Result<Vec<u8>, String> {
    if let Ok(bytes) = std::fs::read(root.join(path)) {
        return Ok(bytes);
    }
    let Some(handed) = HANDED_KEY.get().cloned().flatten() else {
        return Err(format!(
            "{path} is not in this copy of the course, and no {AUDIT_KEY_VAR} was handed"
        ));
    };
    let recorded = recorded(root).map_err(|e| format!("{e:#}"))?;
    if recorded.get(path) == Some(&hash(&handed)) {
        Ok(handed)
    } else {
        Err(format!(
            "the key handed in {AUDIT_KEY_VAR} is not the course's {path}"
        ))
    }
}

/// One file that is not what the course shipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Relative to the repository root.
    pub path: String,
    pub what: &'static str,
    /// How to get the course's version back.
    pub restore: String,
}

/// SHA-256 of a file's content, with Windows line endings read as Unix ones, so a checkout
/// with `core.autocrlf` is not "changed".
fn hash(bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    let mut rest = bytes;
    while let Some(at) = rest.windows(2).position(|w| w == b"\r\n") {
        hasher.update(&rest[..at]);
        hasher.update(b"\n");
        rest = &rest[at + 2..];
    }
    hasher.update(rest);
    format!("{:x}", hasher.finalize())
}

fn same_content(a: &[u8], b: &[u8]) -> bool {
    a == b || hash(a) == hash(b)
}

/// Files under `dir` (or `dir` itself), skipping hidden files and insta's pending snapshots.
fn files_under(root: &Path, path: &str, out: &mut Vec<String>) {
    let full = root.join(path);
    if full.is_file() {
        out.push(path.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(&full) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            continue;
        }
        files_under(root, &format!("{path}/{name}"), out);
    }
}

/// The course's files as they are on disk now, with their hashes.
pub fn current(root: &Path) -> Result<BTreeMap<String, String>> {
    let mut paths = Vec::new();
    for path in COURSE_PATHS {
        files_under(root, path, &mut paths);
    }
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(root.join(&p)).with_context(|| format!("cannot read {p}"))?;
            Ok((p, hash(&bytes)))
        })
        .collect()
}

/// The list as the course recorded it.
pub fn recorded(root: &Path) -> Result<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(list_path(root)).with_context(|| format!("cannot read {LIST}"))?;
    let list: List = toml::from_str(&text).with_context(|| format!("{LIST} is not valid"))?;
    Ok(list.files)
}

/// Records the course's files on disk now as the list (`checker integrity --write`).
pub fn write_list(root: &Path) -> Result<()> {
    std::fs::write(list_path(root), render_list(root)?)?;
    Ok(())
}

/// The list file for the files on disk now.
fn render_list(root: &Path) -> Result<String> {
    let body = toml::to_string(&List {
        files: current(root)?,
    })?;
    Ok(format!(
        "# The course's own files and their SHA-256 (CRLF read as LF). `cargo lab check` reports\n\
         # any difference as an integrity failure. Written by `cargo lab integrity --write`;\n\
         # do not edit by hand.\n\n{body}"
    ))
}

/// Differences between the course's files on disk and the recorded list.
pub fn course_changes(root: &Path) -> Result<Vec<Change>> {
    let recorded = recorded(root)?;
    let current = current(root)?;
    let restore = |path: &str| format!("git checkout origin/HEAD -- {path}");
    let mut changes = Vec::new();
    for (path, hash) in &recorded {
        match current.get(path) {
            None if WITHHELD.contains(&path.as_str()) => {}
            None => changes.push(Change {
                path: path.clone(),
                what: "is missing",
                restore: restore(path),
            }),
            Some(now) if now != hash => changes.push(Change {
                path: path.clone(),
                what: "was modified",
                restore: restore(path),
            }),
            Some(_) => {}
        }
    }
    for path in current.keys().filter(|p| !recorded.contains_key(*p)) {
        changes.push(Change {
            path: path.clone(),
            what: "is not one of the course's files",
            restore: format!("git rm {path}"),
        });
    }
    Ok(changes)
}

/// The course's copy of a protected file of `lab`.
fn course_copy(lab: &Lab, relative: &str) -> PathBuf {
    lab.manifest_dir.join("protected").join(relative)
}

/// Protected files of the crate that differ from the course's copies.
pub fn protected_changes(root: &Path, lab: &Lab, krate: &CrateRef) -> Vec<Change> {
    let mut changes = Vec::new();
    for relative in &lab.integrity.protected {
        let path = format!("{}/{relative}", krate.dir);
        let course = course_copy(lab, relative);
        let restore = format!(
            "cp {} {path}",
            course
                .strip_prefix(root)
                .unwrap_or(&course)
                .to_string_lossy()
        );
        match (std::fs::read(root.join(&path)), std::fs::read(&course)) {
            (_, Err(_)) => changes.push(Change {
                path: course
                    .strip_prefix(root)
                    .unwrap_or(&course)
                    .to_string_lossy()
                    .into_owned(),
                what: "(the course's copy) is missing",
                restore: "git checkout origin/HEAD -- checker/labs".into(),
            }),
            (Err(_), Ok(_)) => changes.push(Change {
                path,
                what: "is missing",
                restore,
            }),
            (Ok(theirs), Ok(ours)) if !same_content(&theirs, &ours) => changes.push(Change {
                path,
                what: "differs from the course's copy",
                restore,
            }),
            _ => {}
        }
    }
    changes
}

/// The `integrity` check's verdict (`checks::integrity`): a failure when any course-owned
/// file is not the course's.
pub fn verdict(root: &Path, lab: &Lab, krate: &CrateRef) -> Outcome {
    // Long on purpose: one message for each combination of what was found (the list unreadable,
    // nothing changed, files changed), with its hint and location.
    let mut changes = protected_changes(root, lab, krate);
    let course = course_changes(root);
    if let Ok(course) = &course {
        changes.extend(course.iter().cloned());
    }
    let staged = lab.kind == crate::course::LabKind::Library && !lab.integrity.protected.is_empty();
    let (status, message, hint, location) = match (&course, changes.first()) {
        (Err(e), _) => (
            Status::Fail,
            format!("the course's list of its files cannot be read: {e:#}"),
            Some(format!("Restore it: git checkout origin/HEAD -- {LIST}")),
            Some(Location {
                path: LIST.into(),
                line: None,
            }),
        ),
        (Ok(_), None) => (
            Status::Pass,
            if lab.integrity.protected.is_empty() {
                "the course's files are unchanged".to_owned()
            } else {
                format!(
                    "the course's files are unchanged, this lab's {} included",
                    lab.integrity.protected.join(", ")
                )
            },
            None,
            None,
        ),
        (Ok(_), Some(first)) => {
            let listed: Vec<String> = changes
                .iter()
                .take(5)
                .map(|c| format!("{} {}", c.path, c.what))
                .collect();
            let more = changes.len().saturating_sub(5);
            let graded = if staged {
                "; graded with the course's copies of this lab's protected files"
            } else {
                ""
            };
            (
                Status::Fail,
                format!(
                    "{} course file{} changed: {}{}{graded}",
                    changes.len(),
                    if changes.len() == 1 { "" } else { "s" },
                    listed.join("; "),
                    if more > 0 {
                        format!("; and {more} more")
                    } else {
                        String::new()
                    }
                ),
                Some(format!(
                    "These files belong to the course: graded tests, budgets, fixtures and the checker itself. Restore them (`{}`{}); CI grades with the course's versions anyway.",
                    first.restore,
                    if changes.len() > 1 { ", and so on" } else { "" }
                )),
                Some(Location {
                    path: first.path.clone(),
                    line: None,
                }),
            )
        }
    };
    Outcome {
        credit: if status == Status::Pass { 1.0 } else { 0.0 },
        message,
        hint,
        location,
        ..Outcome::default()
    }
}

/// A copy of the crate to grade, with the course's versions of its protected files, under
/// `target/checker/staged/<package>`. Files are only rewritten when their content differs,
/// so cargo's incremental builds keep working; files removed from the crate are removed.
///
/// One place per target directory, not per checkout: cargo judges freshness by file times,
/// so two checkouts' copies built into one target directory could each find the other's
/// build fresh. The price: two checkouts sharing CARGO_TARGET_DIR must not grade the same
/// library lab at the same moment.
pub fn stage(root: &Path, lab: &Lab, krate: &CrateRef) -> Result<PathBuf> {
    let source = root.join(&krate.dir);
    let staged = crate::pipeline::target_dir(root)
        .join("checker")
        .join("staged")
        .join(&krate.package);
    let mut wanted: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    let mut files = Vec::new();
    collect_crate_files(&source, Path::new(""), &mut files);
    for relative in files {
        let bytes = std::fs::read(source.join(&relative))
            .with_context(|| format!("cannot read {}", source.join(&relative).display()))?;
        wanted.insert(relative, bytes);
    }
    for relative in &lab.integrity.protected {
        let course = course_copy(lab, relative);
        let bytes = std::fs::read(&course)
            .with_context(|| format!("the course's copy {} is missing", course.display()))?;
        wanted.insert(PathBuf::from(relative), bytes);
    }
    let mut present = Vec::new();
    collect_crate_files(&staged, Path::new(""), &mut present);
    for stale in present.iter().filter(|p| !wanted.contains_key(*p)) {
        let _ = std::fs::remove_file(staged.join(stale));
    }
    for (relative, bytes) in &wanted {
        let target = staged.join(relative);
        if std::fs::read(&target).is_ok_and(|old| &old == bytes) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(staged)
}

/// The crate's own files: everything but build output and hidden files.
fn collect_crate_files(dir: &Path, relative: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with('.') || (relative.as_os_str().is_empty() && name_str == "target") {
            continue;
        }
        let path = relative.join(&name);
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_crate_files(dir, &path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    #[test]
    fn the_list_of_course_files_is_current() {
        let root = root();
        let changes = course_changes(&root).unwrap();
        assert!(
            changes.is_empty(),
            "{LIST} is out of date; run `cargo lab integrity --write` and commit it:\n{}",
            changes
                .iter()
                .map(|c| format!("  {} {}", c.path, c.what))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn every_protected_file_is_the_course_copy_in_lab_and_solution() {
        let root = root();
        let labs = crate::course::labs(&root).unwrap();
        let mut protected = 0;
        for lab in &labs {
            for krate in [&lab.lab, &lab.solution] {
                let changes = protected_changes(&root, lab, krate);
                assert!(changes.is_empty(), "{}: {changes:?}", lab.id);
            }
            protected += lab.integrity.protected.len();
        }
        assert!(protected > 0, "no lab protects any file");
    }

    #[test]
    fn windows_line_endings_are_not_a_change() {
        assert_eq!(hash(b"a\r\nb\r\n"), hash(b"a\nb\n"));
        assert_ne!(hash(b"a\nb\n"), hash(b"a\nc\n"));
    }
}
