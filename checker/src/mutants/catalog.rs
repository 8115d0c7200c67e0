//! The mutants of a lab's reference solution: what cargo-mutants lists for its `src/`, and the
//! course's own hand-written ones (`checker/mutants/<lab dir>.toml`), for the mistakes a
//! student makes that cargo-mutants' operators never produce.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::course::{CrateRef, Lab};

/// One small change to a solution, which a good grader must fail.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutant {
    /// Stable name: `<file>: <what changed>`. cargo-mutants' name without its line and column,
    /// so it survives edits elsewhere in the file; ` #2`… when one file has two alike.
    /// Hand-written ones are `hand: <name>`.
    pub key: String,
    /// The file it changes, relative to the solution crate (`src/http.rs`).
    pub file: String,
    /// Where it applies today (it moves with edits, so it is not part of the key).
    pub line: u32,
    pub origin: Origin,
    pub change: Change,
}

/// Where a mutant comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Origin {
    /// cargo-mutants, with its operator's genre (`FnValue`, `BinaryOperator`, `MatchArm`…).
    CargoMutants { genre: String },
    /// The course: the mistake a student could make, in a sentence, and whether it is
    /// meant to stop the build.
    Hand {
        mistake: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        breaks_build: bool,
    },
}

/// How to make the mutant from the solution's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A unified diff (cargo-mutants' `--diff`).
    Diff(String),
    /// Replace the one occurrence of `find` with `replace`.
    Replace { find: String, replace: String },
}

impl Mutant {
    /// The file's text with this mutant in it.
    pub fn apply(&self, original: &str) -> Result<String> {
        match &self.change {
            Change::Diff(diff) => {
                // cargo-mutants puts the mutant's description where a file name goes
                // (`+++ replace f -> String with "xyzzy".into()`), which diffy refuses to
                // parse as one: only the hunks matter, so the headers are replaced.
                let hunks = diff.find("\n@@").map_or(diff.as_str(), |at| &diff[at + 1..]);
                let diff = format!("--- a\n+++ b\n{hunks}");
                let patch = diffy::Patch::from_str(&diff)
                    .with_context(|| format!("{}: cargo-mutants' diff does not parse", self.key))?;
                diffy::apply(original, &patch).with_context(|| {
                    format!(
                        "{}: the diff no longer applies to {}; list the mutants again",
                        self.key, self.file
                    )
                })
            }
            Change::Replace { find, replace } => match original.matches(find.as_str()).count() {
                1 => Ok(original.replacen(find.as_str(), replace, 1)),
                0 => bail!(
                    "{}: its `find` text is not in {} any more; update checker/mutants/ to the solution as it is",
                    self.key,
                    self.file
                ),
                n => bail!(
                    "{}: its `find` text occurs {n} times in {}; make it long enough to name one place",
                    self.key,
                    self.file
                ),
            },
        }
    }

    /// Sets `line` of a hand-written mutant: where its `find` text starts in `original`.
    pub fn locate(&mut self, original: &str) {
        if let Change::Replace { find, .. } = &self.change {
            if let Some(at) = original.find(find.as_str()) {
                self.line = original[..at].matches('\n').count() as u32 + 1;
            }
        }
    }

    /// The change as a unified diff, for the record and for a person reading a survivor.
    pub fn diff(&self, original: &str) -> Result<String> {
        Ok(diffy::create_patch(original, &self.apply(original)?).to_string())
    }
}

/// The course's data about one lab's mutants: `checker/mutants/<lab dir>.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseMutants {
    /// Mistakes a student could make that cargo-mutants' operators do not reach.
    #[serde(default, rename = "mutant")]
    pub hand: Vec<HandMutant>,
    /// Survivors that change nothing a client can observe, each with why: the baseline.
    #[serde(default)]
    pub equivalent: Vec<Equivalent>,
}

/// A hand-written mutant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandMutant {
    /// Short and unique in the lab: its key is `hand: <name>`.
    pub name: String,
    /// The file it changes, relative to the solution crate.
    pub file: String,
    /// Text that occurs exactly once in the file.
    pub find: String,
    /// What to put there instead.
    pub replace: String,
    /// The mistake a student could make, in a sentence.
    pub mistake: String,
    /// The mistake stops the build (a Cargo feature left out): the build checks catch it.
    /// Otherwise a hand-written mutant that does not compile is a mistake in this file.
    #[serde(default)]
    pub breaks_build: bool,
}

/// A surviving mutant the course accepts, because no client could tell it from the solution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalent {
    /// Its key, as the record names it.
    pub mutant: String,
    /// Why it changes no observable behaviour.
    pub why: String,
}

/// The course's mutant data for a lab (none yet is an empty list, not an error).
pub fn course_mutants(root: &Path, lab: &Lab) -> Result<CourseMutants> {
    let path = course_file(root, lab);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(CourseMutants::default());
    };
    toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// `checker/mutants/<lab dir name>.toml`.
pub fn course_file(root: &Path, lab: &Lab) -> PathBuf {
    let name = Path::new(&lab.solution.dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| lab.id.clone());
    root.join("checker/mutants").join(format!("{name}.toml"))
}

impl HandMutant {
    pub fn mutant(&self) -> Mutant {
        Mutant {
            key: format!("hand: {}", self.name),
            file: self.file.clone(),
            line: 0,
            origin: Origin::Hand {
                mistake: self.mistake.clone(),
                breaks_build: self.breaks_build,
            },
            change: Change::Replace {
                find: self.find.clone(),
                replace: self.replace.clone(),
            },
        }
    }
}

/// One entry of `cargo mutants --list --json --diff`.
#[derive(Debug, Deserialize)]
struct Listed {
    /// `src/index.rs:106:68: replace % with + in weekday`
    name: String,
    /// Relative to the directory cargo-mutants ran in: the crate's own, or the workspace's.
    file: String,
    genre: String,
    diff: String,
    span: Span,
}

#[derive(Debug, Deserialize)]
struct Span {
    start: LineColumn,
}

#[derive(Debug, Deserialize)]
struct LineColumn {
    line: u32,
    column: u32,
}

/// Mutants from cargo-mutants' JSON list, keyed, with files made relative to the crate
/// (`crate_dir` is its path from the directory cargo-mutants ran in, as it prefixes files of
/// a workspace member) and files in `skip` (the course's protected copies) left out.
pub fn parse_listing(json: &str, crate_dir: &str, skip: &[String]) -> Result<Vec<Mutant>> {
    let listed: Vec<Listed> =
        serde_json::from_str(json).context("cargo-mutants' --json list does not parse")?;
    let prefix = format!("{}/", crate_dir.trim_end_matches('/'));
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut mutants = Vec::new();
    for entry in listed {
        let file = entry
            .file
            .strip_prefix(&prefix)
            .unwrap_or(&entry.file)
            .to_owned();
        if skip.contains(&file) {
            continue;
        }
        let located = format!(
            "{}:{}:{}: ",
            entry.file, entry.span.start.line, entry.span.start.column
        );
        let what = entry.name.strip_prefix(&located).unwrap_or(&entry.name);
        let base = format!("{file}: {what}");
        let count = seen.entry(base.clone()).or_default();
        *count += 1;
        let key = if *count == 1 {
            base
        } else {
            format!("{base} #{count}")
        };
        mutants.push(Mutant {
            key,
            file,
            line: entry.span.start.line,
            origin: Origin::CargoMutants { genre: entry.genre },
            change: Change::Diff(entry.diff),
        });
    }
    Ok(mutants)
}

/// Every mutant of a lab's solution: cargo-mutants' (run from `bin`), then the course's.
pub fn list(bin: &Path, root: &Path, lab: &Lab) -> Result<Vec<Mutant>> {
    let krate = &lab.solution;
    let json = cargo_mutants_list(bin, root, krate)?;
    // A workspace member's files come prefixed with its path from the workspace root.
    let crate_dir = if krate.is_standalone(root) {
        ".".to_owned()
    } else {
        krate.dir.clone()
    };
    let mut mutants = parse_listing(&json, &crate_dir, &lab.integrity.protected)?;
    let course = course_mutants(root, lab)?;
    for hand in &course.hand {
        if lab.integrity.protected.contains(&hand.file) {
            bail!(
                "{}: hand-written mutant {:?} changes {}, which the course restores before grading (a protected file); mutate the solution's own code",
                course_file(root, lab).display(),
                hand.name,
                hand.file
            );
        }
        if mutants.iter().any(|m| m.key == hand.mutant().key) {
            bail!(
                "{}: two hand-written mutants are named {:?}",
                course_file(root, lab).display(),
                hand.name
            );
        }
        mutants.push(hand.mutant());
    }
    Ok(mutants)
}

fn cargo_mutants_list(bin: &Path, root: &Path, krate: &CrateRef) -> Result<String> {
    let mut cmd = std::process::Command::new(bin);
    cmd.current_dir(root)
        .args(["mutants", "--list", "--json", "--diff", "--dir"])
        .arg(root.join(&krate.dir))
        .args(["--package", &krate.package]);
    let run = crate::processes::output_within(&mut cmd, Duration::from_secs(300))
        .context("cannot run cargo-mutants")?;
    if !run.output.status.success() || run.timed_out {
        bail!(
            "cargo-mutants could not list the mutants of {}: {}",
            krate.dir,
            String::from_utf8_lossy(&run.output.stderr).trim()
        );
    }
    String::from_utf8(run.output.stdout).context("cargo-mutants printed non-UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two entries as cargo-mutants 27.1.0 prints them for a workspace member.
    const LISTING: &str = r#"[
      {"name": "solutions/x/src/index.rs:106:68: replace % with + in weekday",
       "file": "solutions/x/src/index.rs", "genre": "BinaryOperator",
       "span": {"start": {"line": 106, "column": 68}, "end": {"line": 106, "column": 69}},
       "diff": "--- src/index.rs\n+++ replace % with + in weekday\n@@ -1,3 +1,3 @@\n fn weekday() -> u32 {\n-    9 % 7\n+    9 + /* ~ changed by cargo-mutants ~ */ 7\n }\n"},
      {"name": "solutions/x/src/index.rs:107:5: replace % with + in weekday",
       "file": "solutions/x/src/index.rs", "genre": "BinaryOperator",
       "span": {"start": {"line": 107, "column": 5}, "end": {"line": 107, "column": 6}},
       "diff": "--- src/index.rs\n+++ replace f -> String with \"xyzzy\".into()\n@@ -1,3 +1,3 @@\n fn weekday() -> u32 {\n-    9 % 7\n+    \"xyzzy\"\n }\n"},
      {"name": "solutions/x/src/alloc_meter.rs:3:5: replace count -> usize with 0",
       "file": "solutions/x/src/alloc_meter.rs", "genre": "FnValue",
       "span": {"start": {"line": 3, "column": 5}, "end": {"line": 3, "column": 6}},
       "diff": ""}
    ]"#;

    #[test]
    fn keys_drop_line_and_column_and_number_look_alikes_and_protected_files_are_skipped() {
        let mutants =
            parse_listing(LISTING, "solutions/x", &["src/alloc_meter.rs".to_owned()]).unwrap();
        let keys: Vec<&str> = mutants.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "src/index.rs: replace % with + in weekday",
                "src/index.rs: replace % with + in weekday #2"
            ]
        );
        assert_eq!(mutants[0].file, "src/index.rs");
        assert_eq!(mutants[0].line, 106);
    }

    #[test]
    fn a_listed_diff_applies_to_the_file_it_was_made_from() {
        let mutants = parse_listing(LISTING, "solutions/x", &[]).unwrap();
        let original = "fn weekday() -> u32 {\n    9 % 7\n}\n";
        let mutated = mutants[0].apply(original).unwrap();
        assert_eq!(
            mutated,
            "fn weekday() -> u32 {\n    9 + /* ~ changed by cargo-mutants ~ */ 7\n}\n"
        );
        assert!(mutants[0].apply("fn other() {}\n").is_err());
        // A description with quotes where the file name goes does not stop it.
        assert!(mutants[1].apply(original).unwrap().contains("\"xyzzy\""));
    }

    #[test]
    fn a_hand_written_mutant_must_name_exactly_one_place() {
        let hand = HandMutant {
            name: "no-guard".into(),
            file: "src/lib.rs".into(),
            find: "if a".into(),
            replace: "if false".into(),
            mistake: "drops the guard".into(),
            breaks_build: false,
        }
        .mutant();
        assert_eq!(hand.apply("x; if a {}").unwrap(), "x; if false {}");
        let mut located = hand.clone();
        located.locate("one\ntwo\nx; if a {}\n");
        assert_eq!(located.line, 3);
        let twice = hand.apply("if a {} if a {}").unwrap_err().to_string();
        assert!(twice.contains("occurs 2 times"), "{twice}");
        let gone = hand.apply("if b {}").unwrap_err().to_string();
        assert!(gone.contains("not in src/lib.rs"), "{gone}");
        let diff = hand.diff("x; if a {}\n").unwrap();
        assert!(
            diff.contains("-x; if a {}") && diff.contains("+x; if false {}"),
            "{diff}"
        );
    }
}
