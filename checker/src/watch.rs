//! `checker watch <lab>`: grade the student's lab, then grade it again after every save of
//! its files, keeping node and workerd running between runs (a new build is loaded into the
//! same Miniflare). After the first full report only what changed is shown. Ctrl-C stops it
//! and the runtime with it (the interrupt handler owns that exit).

use std::path::{Component, Path};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify_debouncer_mini::new_debouncer;
use notify_debouncer_mini::notify::RecursiveMode;

use crate::course::Lab;
use crate::report::Report;
use crate::{grading, pipeline, render, student_progress};

/// A lab's files as (path, size, modification time).
type Sources = Vec<(std::path::PathBuf, u64, Option<std::time::SystemTime>)>;

/// Saves closer together than this are one change (editors write several files at once).
const SETTLE: Duration = Duration::from_millis(100);

pub fn run(root: &Path, lab: &Lab) -> Result<i32> {
    let dir = root.join(&lab.lab.dir);
    let reports = pipeline::target_dir(root).join("checker").join("reports");
    let (tx, rx) = mpsc::channel();
    let mut debouncer = new_debouncer(SETTLE, tx).context("cannot watch files")?;
    debouncer
        .watcher()
        .watch(&dir, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", dir.display()))?;
    let mut warm = None;
    let mut previous: Option<Report> = None;
    let mut cause = String::from("first run");
    let mut seen = std::time::Instant::now();
    loop {
        let graded = sources(&dir);
        anstream::println!("── grading {} ({cause})", lab.lab.dir);
        let report = grading::grade_warm(root, lab, false, &reports, &mut warm);
        student_progress::record_or_note(root, &report);
        let text = match &previous {
            None => render::human(&report, render::Detail::NextTask),
            Some(before) => render::changes(before, &report),
        };
        anstream::print!("{text}");
        // From the save (the watcher reports it SETTLE later) to this report.
        let latency = seen.elapsed()
            + if previous.is_some() {
                SETTLE
            } else {
                Duration::ZERO
            };
        anstream::println!(
            "watching {} — save a file to grade again; Ctrl-C to stop (graded {:.1} s after the save)",
            lab.lab.dir,
            latency.as_secs_f64()
        );
        previous = Some(report);
        cause = next_change(&rx, &dir, &graded)?;
        seen = std::time::Instant::now();
    }
}

/// The lab's sources as (path, size, modification time): a save shows up here, while the
/// late events of a save already graded (editors write a file in several steps) do not.
fn sources(dir: &Path) -> Sources {
    fn walk(dir: &Path, relative: &Path, out: &mut Sources) {
        let Ok(entries) = std::fs::read_dir(dir.join(relative)) else {
            return;
        };
        for entry in entries.flatten() {
            let path = relative.join(entry.file_name());
            if !matters(&path) {
                continue;
            }
            match entry.metadata() {
                Ok(m) if m.is_dir() => walk(dir, &path, out),
                Ok(m) => out.push((path, m.len(), m.modified().ok())),
                Err(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out);
    out.sort();
    out
}

/// Blocks until a file of the lab that matters changes; returns which, for the next header.
fn next_change(
    rx: &mpsc::Receiver<notify_debouncer_mini::DebounceEventResult>,
    dir: &Path,
    graded: &Sources,
) -> Result<String> {
    loop {
        let events = match rx.recv().context("the file watcher stopped")? {
            Ok(events) => events,
            Err(e) => {
                crate::steps::note(format!("file watcher: {e}"));
                continue;
            }
        };
        // The watcher only says that something under the lab moved; which files changed is
        // read from the files themselves, against what was graded last.
        if !events.iter().any(|e| {
            e.path
                .strip_prefix(dir)
                .is_ok_and(|p| p.as_os_str().is_empty() || matters(p))
        }) {
            continue;
        }
        let now = sources(dir);
        let changed: Vec<String> = now
            .iter()
            .filter(|f| !graded.contains(f))
            .map(|f| f.0.display().to_string())
            .chain(
                graded
                    .iter()
                    .filter(|g| !now.iter().any(|f| f.0 == g.0))
                    .map(|g| format!("{} (removed)", g.0.display())),
            )
            .collect();
        // Late events of a save already graded change nothing.
        let Some(first) = changed.first() else {
            continue;
        };
        // Saves that arrived while this batch was read are part of the same change.
        while rx.try_recv().is_ok() {}
        return Ok(match changed.len() {
            1 => format!("{first} changed"),
            n => format!("{first} and {} more changed", n - 1),
        });
    }
}

/// Build output, hidden files and editor scratch files are not the lab's sources.
fn matters(relative: &Path) -> bool {
    let first_is_target =
        matches!(relative.components().next(), Some(Component::Normal(c)) if c == "target");
    let name = relative
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    !first_is_target
        && !relative
            .components()
            .any(|c| matches!(c, Component::Normal(n) if n.to_string_lossy().starts_with('.')))
        && !name.ends_with('~')
        && !name.ends_with(".swp")
        && !name.ends_with(".tmp")
        && name != "4913"
}

#[cfg(test)]
mod tests {
    use super::matters;
    use std::path::Path;

    #[test]
    fn sources_matter_and_build_output_and_editor_files_do_not() {
        assert!(matters(Path::new("src/lib.rs")));
        assert!(matters(Path::new("Cargo.toml")));
        assert!(!matters(Path::new("target/debug/x")));
        assert!(!matters(Path::new(".git/index")));
        assert!(!matters(Path::new("src/.lib.rs.swp")));
        assert!(!matters(Path::new("src/lib.rs~")));
        assert!(!matters(Path::new("src/4913")));
    }
}
