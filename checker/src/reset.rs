//! `checker reset <lab>`: put a lab back to the starting point the course shipped, after
//! keeping a copy of the student's files under `target/checker/backups/`.
//!
//! The starting point is recorded by content, not by commit: [`RECORD`] lists every file of
//! every lab crate with its git blob id (`git hash-object`), written by `checker integrity
//! --write`. A student's history may hold their own commits of the lab (a fork, a classroom
//! copy), so "the lab at `origin/HEAD`" is not the starting point; the blobs are, in any clone
//! of the course, whichever commit brought them.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::course::Lab;

/// The record of every lab's starting point: each file's path from the repository root and
/// its git blob id. Course-owned (`integrity` hashes it).
pub const RECORD: &str = "checker/labs/starting-points.toml";

/// Directories in a lab crate that hold build output, never the student's work.
const GENERATED: &[&str] = &["build", "target", ".wrangler", "node_modules"];

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Record {
    /// Path from the repository root → git blob id.
    files: BTreeMap<String, String>,
}

/// Runs git in `root` and returns its standard output, or says what failed.
fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .context("cannot run git: is it installed and on PATH?")?;
    if !output.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

/// The files of every lab crate as they are now (tracked by git), with their blob ids: what
/// `integrity --write` records while the labs are the course's starting points.
fn current(root: &Path) -> Result<Record> {
    let listed = git(root, &["ls-files", "-z", "--", "labs"])?;
    let paths: Vec<String> = listed
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| root.join(p).is_file())
        .collect();
    let mut files = BTreeMap::new();
    if paths.is_empty() {
        return Ok(Record { files });
    }
    let mut args = vec!["hash-object", "--"];
    args.extend(paths.iter().map(String::as_str));
    let ids = String::from_utf8(git(root, &args)?)?;
    for (path, id) in paths.iter().zip(ids.lines()) {
        files.insert(path.clone(), id.to_owned());
    }
    Ok(Record { files })
}

fn render(record: &Record) -> Result<String> {
    Ok(format!(
        "# Every lab's starting point, file by file, as git blob ids: `checker reset <lab>` restores\n# these. Written by `checker integrity --write` while labs/ is the course's starting point.\n\n{}",
        toml::to_string(record)?
    ))
}

/// Records the labs as they are now as their starting points.
pub fn write_record(root: &Path) -> Result<()> {
    let text = render(&current(root)?)?;
    std::fs::write(root.join(RECORD), text).with_context(|| format!("cannot write {RECORD}"))
}

/// Whether the record says what the labs are now (the course's own test: in the course's
/// repository, labs/ is the starting point).
pub fn record_is_current(root: &Path) -> Result<bool> {
    let on_disk = std::fs::read_to_string(root.join(RECORD)).unwrap_or_default();
    Ok(on_disk == render(&current(root)?)?)
}

fn recorded(root: &Path) -> Result<Record> {
    let text = std::fs::read_to_string(root.join(RECORD))
        .with_context(|| format!("cannot read {RECORD}"))?;
    toml::from_str(&text).with_context(|| format!("{RECORD} is not valid"))
}

/// Every file under `dir` but build output, relative to `dir`.
fn student_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !GENERATED.iter().any(|g| name == *g) {
                    walk(&path, base, out);
                }
            } else if let Ok(relative) = path.strip_prefix(base) {
                out.push(relative.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// What a reset did.
pub struct Reset {
    /// The lab crate's directory, from the repository root.
    pub dir: String,
    /// How many files the starting point has.
    pub restored: usize,
    /// Where the student's files were copied, and how many.
    pub backup: PathBuf,
    pub backed_up: usize,
}

/// Asks on the terminal; without one, only `yes` says yes.
fn confirmed(dir: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!("not resetting {dir} without a yes: run it in a terminal to be asked, or add --yes");
    }
    eprint!(
        "Reset {dir} to its starting point? Your files are copied under target/checker/backups/ first. [y/N] "
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// Puts `lab`'s crate back to its starting point; `None` when the student said no.
pub fn reset(root: &Path, lab: &Lab, yes: bool) -> Result<Option<Reset>> {
    let dir = lab.lab.dir.trim_end_matches('/').to_owned();
    let prefix = format!("{dir}/");
    let start: BTreeMap<String, String> = recorded(root)?
        .files
        .into_iter()
        .filter(|(path, _)| path.starts_with(&prefix))
        .collect();
    if start.is_empty() {
        bail!("{RECORD} has no starting point for {dir}");
    }
    // Every blob first: a clone without them (shallow, or not the course's) changes nothing.
    let mut contents = Vec::new();
    for (path, id) in &start {
        let bytes = git(root, &["cat-file", "blob", id]).with_context(|| {
            format!("the starting point of {path} ({id}) is not in this clone's git history (a shallow clone? `git fetch --unshallow`)")
        })?;
        contents.push((path.clone(), bytes));
    }
    if !confirmed(&dir, yes)? {
        return Ok(None);
    }
    let crate_dir = root.join(&dir);
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let backup = crate::pipeline::target_dir(root)
        .join("checker")
        .join("backups")
        .join(format!("{}-{stamp}", lab.id));
    let mine = student_files(&crate_dir);
    for relative in &mine {
        let to = backup.join(relative);
        std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
        std::fs::copy(crate_dir.join(relative), &to)
            .with_context(|| format!("cannot back up {}", relative.display()))?;
    }
    // Only once everything is copied: the student's files, then the starting point's.
    for relative in &mine {
        std::fs::remove_file(crate_dir.join(relative))
            .with_context(|| format!("cannot remove {}", relative.display()))?;
    }
    for (path, bytes) in &contents {
        let to = root.join(path);
        std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
        std::fs::write(&to, bytes).with_context(|| format!("cannot write {path}"))?;
    }
    remove_empty_dirs(&crate_dir);
    Ok(Some(Reset {
        dir,
        restored: contents.len(),
        backup,
        backed_up: mine.len(),
    }))
}

/// Directories the student made that the starting point does not have, left empty.
fn remove_empty_dirs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !GENERATED.iter().any(|g| entry.file_name() == *g) {
            remove_empty_dirs(&path);
            let _ = std::fs::remove_dir(&path); // fails, as it should, unless empty
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_is_the_labs_as_shipped() {
        let root = crate::course::root();
        assert!(
            record_is_current(&root).unwrap(),
            "{RECORD} is not labs/ as it is: run `cargo run -p checker -- integrity --write` after changing a starting point"
        );
    }
}
