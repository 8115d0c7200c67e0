//! A scratch copy of the course to grade mutants in: the solution changes there, never in the
//! checkout, and its builds go to a target directory of their own, so a mutant's module is
//! never taken for the solution's by anything grading the checkout meanwhile.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::catalog::Mutant;
use crate::course::CrateRef;

/// What a graded copy of the course needs: the workspace, the checker's course files (for
/// integrity), the labs and the solutions. Installed tools are linked, not copied.
const COURSE_ITEMS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain.toml",
    "package.json",
    "package-lock.json",
    ".cargo",
    "checker",
    "labs",
    "solutions",
];
const LINKED: &[&str] = &["node_modules", ".tools"];

/// Copies the course at `root` to `dest` (which must not exist yet), so that
/// `COURSE_ROOT=dest checker check …` grades the copy exactly as it grades the checkout.
pub fn copy_course(root: &Path, dest: &Path) -> Result<()> {
    copy_course_from(root, root, dest)
}

/// Copies the course files of `files` to `dest`, linking the installed tools of `tools`.
fn copy_course_from(files: &Path, tools: &Path, dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    for item in COURSE_ITEMS {
        let from = files.join(item);
        if from.exists() {
            copy_tree(&from, &dest.join(item))?;
        }
    }
    for item in LINKED {
        std::os::unix::fs::symlink(tools.join(item), dest.join(item))
            .with_context(|| format!("cannot link {item} into {}", dest.display()))?;
    }
    Ok(())
}

/// The course and the checker as they were when a run started: every lab of the run is
/// graded from these, so editing the checkout (or rebuilding the checker) during a long run
/// changes nothing in it, and the checker always matches the course files it checks.
pub struct Snapshot {
    /// The checkout, whose installed tools every copy links to.
    root: PathBuf,
    dir: PathBuf,
}

impl Snapshot {
    pub fn take(root: &Path, parent: &Path) -> Result<Snapshot> {
        let dir = parent.join(format!("snapshot-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        copy_course_from(root, root, &dir.join("course"))?;
        // The running binary itself: /proc/self/exe still reads it after a rebuild has
        // replaced the file at current_exe().
        let exe = Path::new("/proc/self/exe")
            .exists()
            .then(|| PathBuf::from("/proc/self/exe"))
            .map_or_else(std::env::current_exe, Ok)
            .context("cannot find the checker's own executable")?;
        let checker = dir.join("checker");
        std::fs::copy(&exe, &checker)
            .with_context(|| format!("cannot copy {} to {}", exe.display(), checker.display()))?;
        Ok(Snapshot {
            root: root.to_path_buf(),
            dir,
        })
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)?.flatten() {
            // A crate's own build output is not course content.
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        std::fs::copy(from, to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// One job's copy of the course and the target directory its builds use.
pub struct Scratch {
    pub root: PathBuf,
    pub target: PathBuf,
    /// A copy of the running checker: rebuilding the checkout's during a long run must not
    /// change the grader halfway through it.
    pub checker: PathBuf,
    /// Held while the copy is in use.
    _lock: std::fs::File,
}

impl Scratch {
    /// A fresh copy under `<parent>/job-<n>/course`, building into `<parent>/job-<n>/target`
    /// (kept between runs, so only the first run of a lab builds its dependencies). `n` is
    /// the first at or after `job` that no other run holds: two runs at once (a full run and
    /// `cargo test`'s sample) never share a copy.
    pub fn new(source: &Snapshot, parent: &Path, job: usize) -> Result<Scratch> {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let (dir, lock) = (job..)
            .find_map(|n| {
                let dir = parent.join(format!("job-{n}"));
                let lock = std::fs::File::create(parent.join(format!("job-{n}.lock"))).ok()?;
                use std::os::fd::AsRawFd;
                // SAFETY: flock on a descriptor we own; released when the file is closed.
                let held = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
                (held == 0).then_some((dir, lock))
            })
            .context("no scratch directory is free")?;
        let course = dir.join("course");
        if course.exists() {
            std::fs::remove_dir_all(&course)
                .with_context(|| format!("cannot clear {}", course.display()))?;
        }
        copy_course_from(&source.dir.join("course"), &source.root, &course)?;
        let checker = dir.join("checker");
        let exe = source.dir.join("checker");
        std::fs::copy(&exe, &checker)
            .with_context(|| format!("cannot copy {} to {}", exe.display(), checker.display()))?;
        Ok(Scratch {
            root: course,
            target: dir.join("target"),
            checker,
            _lock: lock,
        })
    }

    /// Puts `mutant` into the copy's solution until the returned guard is dropped.
    pub fn apply(&self, krate: &CrateRef, mutant: &Mutant) -> Result<Applied> {
        let path = self.root.join(&krate.dir).join(&mutant.file);
        let original = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read {}", mutant.key, path.display()))?;
        let mutated = mutant.apply(&original)?;
        // A mutant of Cargo.toml lets cargo rewrite the lock file: it is put back too, or
        // every later mutant would be graded against another resolution.
        let lock = krate.lock_dir(&self.root).join("Cargo.lock");
        let saved = vec![
            (path.clone(), original),
            (
                lock.clone(),
                std::fs::read_to_string(&lock).unwrap_or_default(),
            ),
        ];
        std::fs::write(&path, mutated)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Applied { saved })
    }
}

/// A mutant in place; dropping it puts the solution's file back.
pub struct Applied {
    /// Each file the grade may change, with its content before the mutant.
    saved: Vec<(PathBuf, String)>,
}

impl Drop for Applied {
    fn drop(&mut self) {
        for (path, content) in &self.saved {
            if std::fs::read_to_string(path).is_ok_and(|now| &now == content) {
                continue;
            }
            // Failing to restore would grade every later mutant on top of this one: stop.
            std::fs::write(path, content).unwrap_or_else(|e| {
                panic!(
                    "cannot restore {} in the scratch course: {e}",
                    path.display()
                )
            });
        }
    }
}
