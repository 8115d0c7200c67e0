//! `--format github`: for a GitHub Actions job. Two parts from the same result:
//!
//! - **annotations**, one `::error` workflow command per check that does not pass, on the file
//!   the check is about, so the pull request's diff shows them (they must reach the step's
//!   standard output);
//! - a **step summary** in Markdown: the score, a table of every check with its task and
//!   points, and how to fix each miss (for `$GITHUB_STEP_SUMMARY`).
//!
//! Workflow command syntax: <https://docs.github.com/actions/reference/workflow-commands-for-github-actions>.

use std::fmt::Write as _;

use super::{details_plain, points};
use crate::report::{Category, CheckResult, Location, Report, Status};

/// The two parts of the GitHub rendering.
pub struct Github {
    /// Workflow commands, one per line, for standard output.
    pub annotations: String,
    /// Markdown for the job's step summary.
    pub summary: String,
}

pub fn github(report: &Report) -> Github {
    Github {
        annotations: annotations(report),
        summary: summary(report),
    }
}

fn annotations(report: &Report) -> String {
    let mut out = String::new();
    for check in report.checks.iter().filter(|c| c.is_miss()) {
        let at = location(report, check);
        let mut properties = format!("file={}", property(&at.path));
        if let Some(line) = at.line {
            let _ = write!(properties, ",line={line}");
        }
        let title = format!(
            "{} {}{}: {}/{} points",
            report.lab,
            task_label(report, check).map_or_else(String::new, |t| format!("task {t} ")),
            check.id,
            points(check.points),
            points(check.max_points)
        );
        let _ = writeln!(
            out,
            "::error {properties},title={}::{}",
            property(&title),
            data(&details_plain(check, &report.lab))
        );
    }
    out
}

/// `2/7 jsonrpc`: the check's task, its place among the lab's tasks and its id.
fn task_label(report: &Report, check: &CheckResult) -> Option<String> {
    let id = check.task.as_deref()?;
    let i = report.tasks.iter().position(|t| t.id == id)?;
    Some(format!("{}/{} {id}", i + 1, report.tasks.len()))
}

/// The file a miss is about: the one the check named, or the file of the lab where such a
/// problem is usually fixed.
fn location(report: &Report, check: &CheckResult) -> Location {
    if let Some(at) = &check.location {
        return at.clone();
    }
    let file = match check.category {
        Category::Protocol | Category::Robustness | Category::Memory => "src/lib.rs",
        Category::Build
        | Category::Tests
        | Category::Size
        | Category::Audit
        | Category::Integrity => "Cargo.toml",
    };
    Location {
        path: format!("{}/{file}", report.target),
        line: None,
    }
}

fn summary(report: &Report) -> String {
    // Long on purpose: the step summary's table and sections, written in order.
    let mut out = String::new();
    let mark = if report.passed { "✅" } else { "❌" };
    let who = if report.solution {
        " (reference solution)"
    } else {
        ""
    };
    let passing = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Pass)
        .count();
    let _ = writeln!(
        out,
        "### {mark} {} · {}{who} — {} / {} points\n",
        report.lab,
        report.title,
        points(report.score),
        points(report.max_score)
    );
    let _ = writeln!(
        out,
        "`{}` · {passing} of {} checks pass · {:.1} s\n",
        report.target,
        report.checks.len(),
        report.duration_ms as f64 / 1000.0
    );
    out.push_str("| | task | check | points | result |\n|:-:|---|---|--:|---|\n");
    for check in &report.checks {
        let icon = match check.status {
            Status::Pass => "✅",
            Status::Fail => "❌",
            Status::Error => "⚠️",
            Status::Skipped => "⏭️",
        };
        let _ = writeln!(
            out,
            "| {icon} | {} | `{}` | {} / {} | {} |",
            task_label(report, check).unwrap_or_default(),
            check.id,
            points(check.points),
            points(check.max_points),
            cell(check.message.lines().next().unwrap_or_default())
        );
    }
    let misses: Vec<&CheckResult> = report.checks.iter().filter(|c| c.is_miss()).collect();
    if !misses.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>What to fix ({} {})</summary>\n",
            misses.len(),
            if misses.len() == 1 { "check" } else { "checks" }
        );
        for check in misses {
            let _ = writeln!(
                out,
                "#### `{}`\n\n```text\n{}\n```\n",
                check.id,
                details_plain(check, &report.lab).replace("```", "'''")
            );
        }
        out.push_str("</details>\n");
    }
    out
}

/// Text for one Markdown table cell: one line, no column breaks, not too long.
fn cell(text: &str) -> String {
    const MAX: usize = 160;
    let mut text = text.replace('|', "\\|");
    if text.chars().count() > MAX {
        text = text.chars().take(MAX).collect::<String>() + "…";
    }
    text
}

/// Escapes the message of a workflow command.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`) of a workflow command.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
