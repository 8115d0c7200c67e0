//! The student's progress, kept out of git in `.checker-state.json` at the repository root
//! (`CHECKER_STATE` names another file): each lab's last graded result, for `list` and
//! `hint`, and how many hints of each check the student has asked for. Only `check` of the
//! student's own lab writes a result; a missing or unreadable file is an empty state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::report::{Category, Report, Status};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub labs: BTreeMap<String, LabState>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct LabState {
    /// The last time `check` graded the student's lab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<LastRun>,
    /// For each check id, how many of its hints `hint` has shown.
    #[serde(default)]
    pub hints_shown: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastRun {
    pub score: f64,
    pub max_score: f64,
    pub passed: bool,
    /// Seconds since the Unix epoch.
    pub checked_at: u64,
    pub checks: Vec<CheckSummary>,
}

/// What `hint` needs of a check: enough to say what kind of failure it was.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckSummary {
    pub id: String,
    pub category: Category,
    pub status: Status,
    pub points: f64,
    pub max_points: f64,
    /// The report's message, cut to a few hundred characters.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    pub doc: String,
    /// Whether the check measured against a budget (a miss is then a budget miss).
    #[serde(default)]
    pub budgeted: bool,
    /// The kind of failure the report recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<crate::report::FailureKind>,
}

pub fn path(root: &Path) -> PathBuf {
    std::env::var_os("CHECKER_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".checker-state.json"))
}

pub fn load(root: &Path) -> State {
    std::fs::read_to_string(path(root))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

pub fn save(root: &Path, state: &State) -> Result<()> {
    let file = path(root);
    let text = serde_json::to_string_pretty(state)?;
    // Written whole, then renamed: an interrupted write never leaves half a file.
    let partial = file.with_extension("json.partial");
    std::fs::write(&partial, text)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, &file).with_context(|| format!("cannot write {}", file.display()))
}

/// Records a graded run, and says so (without failing) when the state cannot be written:
/// losing progress must not lose the grade.
pub fn record_or_note(root: &Path, report: &Report) {
    if let Err(e) = record(root, report) {
        crate::steps::note(format!("progress not saved: {e:#}"));
    }
}

/// Records a graded run of the student's lab. Hints already shown for checks that now pass
/// are forgotten, so a check that fails again starts from its first hint.
/// A check that passes, or fails differently than before (the student fixed one thing and
/// met the next), starts again from its first hint.
fn forget_moved_on(
    hints_shown: &mut BTreeMap<String, usize>,
    before: Option<&LastRun>,
    now: &[CheckSummary],
) {
    let was = |id: &str| {
        before
            .and_then(|b| b.checks.iter().find(|c| c.id == id))
            .map(failure)
    };
    let moved_on: Vec<&str> = now
        .iter()
        .filter(|c| c.status == Status::Pass || was(&c.id) != Some(failure(c)))
        .map(|c| c.id.as_str())
        .collect();
    hints_shown.retain(|id, _| !moved_on.contains(&id.as_str()));
}

/// What a failure is, for telling whether it changed: its kind and the first two lines of
/// its message (a compile error's crate, a tally's first miss) without digits, so counts,
/// times and per-run values do not count as a change.
fn failure(check: &CheckSummary) -> (Option<crate::report::FailureKind>, String) {
    let start: Vec<&str> = check.message.lines().take(2).collect();
    let text = start.join("\n").replace(|c: char| c.is_ascii_digit(), "");
    (check.failure_kind, text)
}

/// Forgets a lab's last result and hints (`reset`): `list` shows it not started.
pub fn forget(root: &Path, lab: &str) -> Result<()> {
    let mut state = load(root);
    if state.labs.remove(lab).is_some() {
        save(root, &state)?;
    }
    Ok(())
}

pub fn record(root: &Path, report: &Report) -> Result<()> {
    let mut state = load(root);
    let lab = state.labs.entry(report.lab.clone()).or_default();
    let before = lab.last.take();
    lab.last = Some(LastRun {
        score: report.score,
        max_score: report.max_score,
        passed: report.passed,
        checked_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        checks: report
            .checks
            .iter()
            .map(|c| CheckSummary {
                id: c.id.clone(),
                category: c.category,
                status: c.status,
                points: c.points,
                max_points: c.max_points,
                message: c.message.chars().take(600).collect(),
                hint: c.hint.clone(),
                doc: c.doc.clone(),
                budgeted: c.measured.is_some() && c.budget.is_some(),
                failure_kind: c.failure_kind,
            })
            .collect(),
    });
    let now = lab
        .last
        .as_ref()
        .map(|l| l.checks.as_slice())
        .unwrap_or_default();
    forget_moved_on(&mut lab.hints_shown, before.as_ref(), now);
    save(root, &state)
}

// ANCHOR: travel
/// What `progress --export` writes and `--import` reads: the state, with a marker and a
/// version so that a wrong file is refused rather than merged.
#[derive(Debug, Serialize, Deserialize)]
pub struct Exported {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// Always [`EXPORT_VERSION`].
    pub version: u32,
    #[serde(default)]
    pub labs: BTreeMap<String, LabState>,
}

pub const EXPORT_FORMAT: &str = "rust-mcp-labs progress";
pub const EXPORT_VERSION: u32 = 1;

pub fn export(state: State) -> Exported {
    Exported {
        format: EXPORT_FORMAT.to_owned(),
        version: EXPORT_VERSION,
        labs: state.labs,
    }
}

/// Reads an export, refusing anything else.
pub fn parse_export(text: &str) -> Result<Exported> {
    let exported: Exported = serde_json::from_str(text)
        .context("not a progress file (make one with `cargo lab progress --export FILE`)")?;
    anyhow::ensure!(
        exported.format == EXPORT_FORMAT,
        "not a progress file: its format is {:?}, not {EXPORT_FORMAT:?}",
        exported.format
    );
    anyhow::ensure!(
        exported.version == EXPORT_VERSION,
        "this progress file is version {}; this checker reads version {EXPORT_VERSION} (update the course)",
        exported.version
    );
    Ok(exported)
}

/// Merges progress made elsewhere into this state, so that nothing either side knew is lost:
/// per lab, the more recent graded run wins, and for each check the larger count of hints
/// shown (a hint seen on either machine stays seen). Returns the labs whose state changed.
pub fn merge(state: &mut State, other: BTreeMap<String, LabState>) -> Vec<String> {
    let mut changed = Vec::new();
    for (lab, theirs) in other {
        let ours = state.labs.entry(lab.clone()).or_default();
        let mut moved = false;
        let newer = match (&ours.last, &theirs.last) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b.checked_at > a.checked_at,
        };
        if newer {
            ours.last = theirs.last;
            moved = true;
        }
        for (check, shown) in theirs.hints_shown {
            let count = ours.hints_shown.entry(check).or_insert(0);
            if shown > *count {
                *count = shown;
                moved = true;
            }
        }
        if moved {
            changed.push(lab);
        }
    }
    changed
}
// ANCHOR_END: travel

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Category, FailureKind};

    fn lab(checked_at: Option<u64>, hints: &[(&str, usize)]) -> LabState {
        LabState {
            last: checked_at.map(|t| LastRun {
                checked_at: t,
                ..run(failing("x"))
            }),
            hints_shown: hints.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn merging_keeps_the_newer_run_and_every_hint_seen() {
        let mut state = State::default();
        state
            .labs
            .insert("lab-1".into(), lab(Some(100), &[("a", 2), ("b", 1)]));
        state.labs.insert("lab-2".into(), lab(Some(500), &[]));
        let other = BTreeMap::from([
            ("lab-1".to_owned(), lab(Some(200), &[("a", 1), ("c", 3)])),
            ("lab-2".to_owned(), lab(Some(400), &[])),
            ("lab-3".to_owned(), lab(None, &[("d", 1)])),
        ]);
        let changed = merge(&mut state, other);
        assert_eq!(changed, ["lab-1", "lab-3"]);
        let one = &state.labs["lab-1"];
        assert_eq!(one.last.as_ref().unwrap().checked_at, 200, "the newer run");
        assert_eq!(
            one.hints_shown,
            BTreeMap::from([("a".into(), 2), ("b".into(), 1), ("c".into(), 3)])
        );
        assert_eq!(
            state.labs["lab-2"].last.as_ref().unwrap().checked_at,
            500,
            "an older run does not replace a newer one"
        );
        assert!(state.labs["lab-3"].last.is_none());
        // Merging the same again changes nothing.
        let again = state.labs.clone();
        assert!(merge(&mut state, again).is_empty());
    }

    #[test]
    fn an_export_reads_back_and_other_files_are_refused() {
        let mut state = State::default();
        state.labs.insert("lab-0".into(), lab(Some(7), &[("x", 1)]));
        let text = serde_json::to_string(&export(state)).unwrap();
        let back = parse_export(&text).unwrap();
        assert_eq!(back.labs["lab-0"].hints_shown["x"], 1);
        let wrong = text.replace(EXPORT_FORMAT, "something else");
        assert!(parse_export(&wrong)
            .unwrap_err()
            .to_string()
            .contains("not a progress file"));
        let newer = text.replace("\"version\":1", "\"version\":2");
        assert!(parse_export(&newer)
            .unwrap_err()
            .to_string()
            .contains("version 2"));
        assert!(
            parse_export("{\"schema_version\":1}").is_err(),
            "a report is not progress"
        );
    }

    fn failing(message: &str) -> CheckSummary {
        CheckSummary {
            id: "build.wasm32".into(),
            category: Category::Build,
            status: Status::Fail,
            points: 0.0,
            max_points: 2.0,
            message: message.into(),
            hint: None,
            doc: String::new(),
            budgeted: false,
            failure_kind: Some(FailureKind::MissingWasmFeature),
        }
    }

    fn run(check: CheckSummary) -> LastRun {
        LastRun {
            score: 0.0,
            max_score: 2.0,
            passed: false,
            checked_at: 0,
            checks: vec![check],
        }
    }

    /// Hints shown for `build.wasm32` after a run that failed with `then`, and another with
    /// `now`.
    fn kept(then: &str, now: CheckSummary) -> bool {
        let mut hints = BTreeMap::from([("build.wasm32".to_owned(), 3)]);
        forget_moved_on(&mut hints, Some(&run(failing(then))), &[now]);
        hints.contains_key("build.wasm32")
    }

    #[test]
    fn hints_go_on_while_the_failure_stays_and_start_again_when_it_changes() {
        let mio = "it does not build for wasm32:\nerror: This wasm target is unsupported by mio";
        let uuid = "it does not build for wasm32:\nerror: uuid needs a source of randomness";
        assert!(kept(mio, failing(mio)), "the same failure keeps its hints");
        assert!(
            !kept(mio, failing(uuid)),
            "the next crate's error starts again"
        );
        assert!(
            kept(
                "3 of 12 tests pass; failing: a",
                failing("5 of 12 tests pass; failing: a")
            ),
            "counts alone are no new failure"
        );
        let passed = CheckSummary {
            status: Status::Pass,
            ..failing(mio)
        };
        assert!(!kept(mio, passed), "a pass forgets its hints");
    }
}
