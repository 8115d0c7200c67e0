//! The result of grading one lab: the contract every rendering reads (`--format json`
//! prints it as is). Versioned by `schema_version`; add fields, never change their meaning.

use serde::{Deserialize, Serialize};

/// Version of this report's shape. Bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Canonical lab id, e.g. `lab-4`.
    pub lab: String,
    /// Human title of the lab.
    pub title: String,
    /// The crate directory that was graded, relative to the repository root.
    pub target: String,
    /// Whether the reference solution was graded instead of the student's lab.
    pub solution: bool,
    /// True when every check passed.
    pub passed: bool,
    /// Sum of the points earned.
    pub score: f64,
    /// Sum of the points available.
    pub max_score: f64,
    pub checks: Vec<CheckResult>,
    /// The lab's tasks in the order to work on them, each with how many of its checks pass
    /// (added in schema version 1: readers must not require it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskProgress>,
    pub environment: Environment,
    /// Wall time of the whole run, build included.
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Build,
    Tests,
    Size,
    Memory,
    Protocol,
    Robustness,
    Audit,
    Integrity,
}

impl Category {
    /// The name reports use, as in the JSON (`protocol`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Build => "build",
            Category::Tests => "tests",
            Category::Size => "size",
            Category::Memory => "memory",
            Category::Protocol => "protocol",
            Category::Robustness => "robustness",
            Category::Audit => "audit",
            Category::Integrity => "integrity",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The requirement is met.
    Pass,
    /// The lab ran, and the requirement is not met.
    Fail,
    /// The check could not be carried out (build failed, runtime did not start, ...).
    Error,
    /// Not run, because something it depends on failed first.
    Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckResult {
    /// Stable id, `<category>.<name>` (or `build`).
    pub id: String,
    pub category: Category,
    /// One line saying what is required.
    pub title: String,
    pub status: Status,
    pub points: f64,
    pub max_points: f64,
    /// What the checker measured, when the check measures a quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measure>,
    /// The budget the measurement is held to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// What happened, in a sentence or two.
    pub message: String,
    /// What to try next, when the check did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Book page and anchor that teaches this requirement.
    pub doc: String,
    /// Spec section the requirement comes from, for protocol checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// The request sent and the reply received, so a miss can be reproduced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Wall time of this check against the running Worker (runtime checks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The file a miss is about, when the check knows one: the first compiler error, a
    /// modified course file, AUDIT.toml. CI annotations point there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What kind of failure a check that did not pass met, for hints and dashboards
    /// (added in schema version 1: readers must not require it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<FailureKind>,
    /// The id of the lab task this check belongs to (added in schema version 1: readers
    /// must not require it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
}

impl CheckResult {
    /// It ran and missed (`fail`), or could not run (`error`): what reports explain.
    pub fn is_miss(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Error)
    }
}

/// One task of the lab, as far as this run got.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskProgress {
    /// The task's id (`[[tasks]]` in the lab's manifest).
    pub id: String,
    /// What the student does in this step.
    pub title: String,
    /// The book page and anchor that teaches it.
    pub doc: String,
    /// How many checks the task owns.
    pub checks: usize,
    /// How many of them pass.
    pub passing: usize,
}

impl TaskProgress {
    /// Every check of the task passes.
    pub fn done(&self) -> bool {
        self.passing == self.checks
    }
}

/// Where a check goes in a report, for a stable sort: integrity first (nothing else counts
/// until the course's files are the course's), then task by task (the task at `task` of
/// `tasks`), then the findings about the run as a whole, which belong to no task.
pub fn work_order(category: Category, task: Option<usize>, tasks: usize) -> usize {
    match (category, task) {
        (_, Some(i)) => i + 1,
        (Category::Integrity, None) => 0,
        (_, None) => tasks + 1,
    }
}

/// Each task of `lab` with how many of its checks pass in `checks`, in the lab's order.
pub fn task_progress(lab: &crate::course::Lab, checks: &[CheckResult]) -> Vec<TaskProgress> {
    lab.tasks
        .iter()
        .map(|task| TaskProgress {
            id: task.id.clone(),
            title: task.title.clone(),
            doc: task.doc.clone(),
            checks: task.checks.len(),
            passing: checks
                .iter()
                .filter(|c| task.checks.contains(&c.id) && c.status == Status::Pass)
                .count(),
        })
        .collect()
}

/// The kinds of failure a first hint distinguishes, recorded where the failure is known
/// (the build, the check that met it) rather than read back from message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// A course-owned file changed.
    Integrity,
    /// A dependency refuses wasm32-unknown-unknown until a feature or backend is chosen.
    MissingWasmFeature,
    /// The compiler stopped.
    CompileError,
    /// Compiled, then panicked or trapped inside the wasm instance.
    RuntimeTrap,
    /// It works, but costs more than the budget.
    BudgetMiss,
    /// A reply broke the MCP or HTTP contract.
    ProtocolError,
    /// Anything else: the check's own message and hint say what to do.
    Other,
}

impl FailureKind {
    /// The kind of a failure whose check did not say: by what the check is.
    pub fn by_category(category: Category, errored: bool, budgeted: bool) -> FailureKind {
        match category {
            Category::Integrity => FailureKind::Integrity,
            Category::Build if errored => FailureKind::CompileError,
            _ if budgeted => FailureKind::BudgetMiss,
            Category::Protocol | Category::Robustness => FailureKind::ProtocolError,
            _ => FailureKind::Other,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Location {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Measure {
    pub value: f64,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Budget {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    /// The request body sent.
    pub request: String,
    /// HTTP status and body received (body cut to a few KiB).
    pub response: String,
    /// What the check expected instead, when it can say it in a line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// A `curl` command that sends the same request to a server started with `checker serve`.
    pub reproduce: String,
}

/// Versions of the tools the result was produced with, so two results can be compared.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    pub rustc: String,
    pub wasm_bindgen: String,
    pub workerd: String,
    pub node: String,
}

/// Points and scores are shown and stored to two decimals.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Report {
    /// Exit status of `checker check`: 0 all passed, 1 a check failed, 2 not gradable.
    pub fn exit_code(&self) -> i32 {
        if self.checks.iter().any(|c| c.status == Status::Error) {
            2
        } else if self.passed {
            0
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Category;

    #[test]
    fn category_names_are_the_json_names() {
        for category in [
            Category::Build,
            Category::Tests,
            Category::Size,
            Category::Memory,
            Category::Protocol,
            Category::Robustness,
            Category::Audit,
            Category::Integrity,
        ] {
            assert_eq!(
                serde_json::to_value(category).unwrap(),
                category.name(),
                "{category:?}"
            );
        }
    }
}
