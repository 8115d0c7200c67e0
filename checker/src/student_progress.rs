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
pub fn record(root: &Path, report: &Report) -> Result<()> {
    let mut state = load(root);
    let lab = state.labs.entry(report.lab.clone()).or_default();
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
    let passing: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Pass)
        .map(|c| c.id.clone())
        .collect();
    lab.hints_shown.retain(|id, _| !passing.contains(id));
    save(root, &state)
}
