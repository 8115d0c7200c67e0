//! `--format exercism`: Exercism's test-runner `results.json`, version 3 (the interface:
//! https://github.com/exercism/docs/blob/main/building/tooling/test-runners/interface.md), so a
//! lab can run on an Exercism-style platform. One test per check, in the lab's order (the
//! interface shows only the first failure, so the order is the order to work in); `task_id`
//! is the 1-based number of the check's lab task. Plain serde types, filled by a pure
//! [`exercism`] from the same report as every other format.

use serde::Serialize;

use super::{details_plain, points};
use crate::report::{Report, Status};

/// The interface version written: 3 links tests to tasks.
pub const VERSION: u8 = 3;

/// `results.json`.
#[derive(Debug, Serialize, PartialEq)]
pub struct Results {
    /// Always [`VERSION`].
    pub version: u8,
    pub status: Outcome,
    /// Required when `status` is `error`: why the tests could not run (the compiler's first
    /// error). Omitted otherwise, as the interface allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub tests: Vec<Test>,
}

/// A status, overall or per test.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// Overall: the lab could not be graded (it does not build). Per test: the check could
    /// not be carried out, or was not run because the build failed.
    Error,
}

/// One check.
#[derive(Debug, Serialize, PartialEq)]
pub struct Test {
    /// The check's id and what it requires.
    pub name: String,
    pub status: Outcome,
    /// For a check that did not pass: its points, what happened, the hint, and the request
    /// and reply that show it, as in the JUnit report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the check runs, as a command the student can run.
    pub test_code: String,
    /// The lab task the check belongs to (1 = the first task); none for the findings about
    /// the run as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<usize>,
}

// `output` is left out: the interface reserves it for what the student's code printed on
// purpose, and the checker does not capture a Worker's console per check.

/// The report as Exercism's `results.json` (pretty-printed, with a final newline).
pub fn exercism(report: &Report) -> String {
    serde_json::to_string_pretty(&results(report)).expect("plain data always serialises") + "\n"
}

/// The pure conversion.
pub fn results(report: &Report) -> Results {
    let build_failed = report
        .checks
        .iter()
        .find(|c| c.id == "build")
        .filter(|c| c.status != Status::Pass);
    let status = if build_failed.is_some() {
        Outcome::Error
    } else if report.checks.iter().any(|c| c.is_miss()) {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    let command = if report.solution {
        format!("cargo lab check {} --solution", report.lab)
    } else {
        format!("cargo lab check {}", report.lab)
    };
    let tests = report
        .checks
        .iter()
        .map(|check| {
            let status = match check.status {
                Status::Pass => Outcome::Pass,
                Status::Fail => Outcome::Fail,
                Status::Error | Status::Skipped => Outcome::Error,
            };
            let message = (check.status != Status::Pass).then(|| {
                format!(
                    "{}/{} points · {}",
                    points(check.points),
                    points(check.max_points),
                    details_plain(check, &report.lab)
                )
            });
            Test {
                name: format!("{}: {}", check.id, check.title),
                status,
                message,
                test_code: command.clone(),
                task_id: check
                    .task
                    .as_ref()
                    .and_then(|id| report.tasks.iter().position(|t| &t.id == id))
                    .map(|index| index + 1),
            }
        })
        .collect();
    Results {
        version: VERSION,
        status,
        message: build_failed.map(|build| details_plain(build, &report.lab)),
        tests,
    }
}
