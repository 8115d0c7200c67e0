//! What a mutation run found, as plain serde types (the committed record,
//! `checker/mutants/runs/<lab dir>.json`), and the pure judgements over it: what one grade
//! says about a mutant, and whether a lab's survivors are all explained.

use serde::{Deserialize, Serialize};

use super::catalog::{Equivalent, Origin};
use crate::report::{FailureKind, Report, Status};

/// What grading one mutant showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The checker failed it (exit 1, or 2 for a mutant that builds but cannot be graded):
    /// the checks that did not pass.
    Caught { by: Vec<String> },
    /// Every check passed.
    Survived,
    /// It does not compile: proves nothing about the grader, so it is not scored.
    Unviable,
    /// The checker did not finish within the run's limit per mutant.
    TimedOut,
    /// The checker itself crashed or wrote no report: a checker bug to fix.
    CheckerError { detail: String },
}

/// Judges one grade of a mutant from the checker's exit status and its JSON report.
pub fn judge(exit: Option<i32>, timed_out: bool, report: Option<&Report>, stderr: &str) -> Outcome {
    if timed_out {
        return Outcome::TimedOut;
    }
    let Some(report) = report else {
        let tail: String = stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
        return Outcome::CheckerError {
            detail: format!("exit {exit:?} and no report: {tail}"),
        };
    };
    match exit {
        Some(0) => Outcome::Survived,
        Some(2)
            if report
                .checks
                .iter()
                .any(|c| c.failure_kind == Some(FailureKind::CompileError)) =>
        {
            Outcome::Unviable
        }
        Some(1 | 2) => Outcome::Caught {
            by: not_passed(report),
        },
        other => Outcome::CheckerError {
            detail: format!("the checker exited with {other:?}"),
        },
    }
}

/// The checks of a report that failed or could not run.
pub fn not_passed(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Error))
        .map(|c| c.id.clone())
        .collect()
}

/// One mutant graded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tried {
    /// The mutant's key (see `catalog::Mutant::key`).
    pub mutant: String,
    /// Where it applied in the run (moves with edits).
    pub line: u32,
    pub origin: Origin,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Wall time of its grade, build included.
    pub seconds: f64,
}

/// The record of one lab's mutation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabRecord {
    /// Lab id (`lab-4`).
    pub lab: String,
    /// The cargo-mutants that listed the mutants.
    pub cargo_mutants: String,
    /// True when every listed mutant was graded (no budget cut, no filter).
    pub complete: bool,
    /// Mutants listed for the lab.
    pub listed: usize,
    pub counts: Counts,
    /// (caught + timed out) ÷ (caught + timed out + survived), in percent: equivalent and
    /// unviable mutants (and checker errors, which fail the run) are not scored.
    pub score_percent: Option<f64>,
    /// Wall time the lab took, in seconds: its mutants' grades (the unmutated first grade,
    /// which builds the dependencies, not included).
    pub seconds: f64,
    pub mutants: Vec<Tried>,
}

/// How many mutants ended each way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub tried: usize,
    pub caught: usize,
    /// Survivors the course's baseline explains.
    pub equivalent: usize,
    /// Survivors nothing explains: each is a gap in the grader.
    pub survived: usize,
    pub unviable: usize,
    pub timed_out: usize,
    pub checker_errors: usize,
}

/// Whether a lab's run is acceptable: every survivor explained, no explanation stale.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Survivors the baseline does not list.
    pub unexplained: Vec<String>,
    /// Baseline entries that were graded and caught (or no longer exist, in a complete run).
    pub stale: Vec<String>,
    /// Mutants the checker crashed on.
    pub checker_errors: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.unexplained.is_empty() && self.stale.is_empty() && self.checker_errors.is_empty()
    }
}

/// Counts, score and verdict of a lab's graded mutants against the course's baseline.
/// `listed` are the keys of every mutant the lab has; `complete` when all were graded.
pub fn summarize(
    tried: &[Tried],
    baseline: &[Equivalent],
    listed: &[String],
    complete: bool,
) -> (Counts, Option<f64>, Verdict) {
    let explained = |key: &str| baseline.iter().any(|e| e.mutant == key);
    let mut counts = Counts {
        tried: tried.len(),
        ..Counts::default()
    };
    let mut verdict = Verdict::default();
    for t in tried {
        match &t.outcome {
            Outcome::Caught { .. } => {
                counts.caught += 1;
                if explained(&t.mutant) {
                    verdict.stale.push(t.mutant.clone());
                }
            }
            Outcome::Survived if explained(&t.mutant) => counts.equivalent += 1,
            Outcome::Survived => {
                counts.survived += 1;
                verdict.unexplained.push(t.mutant.clone());
            }
            Outcome::Unviable => counts.unviable += 1,
            Outcome::TimedOut => counts.timed_out += 1,
            Outcome::CheckerError { .. } => {
                counts.checker_errors += 1;
                verdict.checker_errors.push(t.mutant.clone());
            }
        }
    }
    if complete {
        for entry in baseline {
            if !listed.contains(&entry.mutant) {
                verdict.stale.push(entry.mutant.clone());
            }
        }
    }
    let scored = counts.caught + counts.timed_out + counts.survived;
    let score = (scored > 0).then(|| {
        let percent = 100.0 * (counts.caught + counts.timed_out) as f64 / scored as f64;
        (percent * 10.0).round() / 10.0
    });
    (counts, score, verdict)
}

/// The book's page of the last full runs (`book/src/generated/mutation-score.md`), from the
/// committed records, so the instructor guide shows what was measured.
pub fn score_page(records: &[LabRecord], equivalents: &[(String, Vec<Equivalent>)]) -> String {
    use std::fmt::Write as _;
    let mut page = String::from(
        "<!-- Generated by `cargo lab rubric` from checker/mutants/runs/*.json; do not edit. -->\n\n",
    );
    if records.is_empty() {
        page.push_str("No full mutation run has been recorded yet.\n");
        return page;
    }
    page.push_str("| lab | mutants | caught | equivalent | survived | unviable | timed out | score | run time |\n");
    page.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in records {
        let c = &r.counts;
        let _ = writeln!(
            page,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} min |",
            r.lab,
            c.tried,
            c.caught,
            c.equivalent,
            c.survived,
            c.unviable,
            c.timed_out,
            r.score_percent
                .map(|s| format!("{s} %"))
                .unwrap_or_else(|| "n/a".into()),
            r.seconds / 60.0
        );
    }
    let _ = writeln!(
        page,
        "\nMeasured with cargo-mutants {}; score = (caught + timed out) ÷ (caught + timed out + survived): equivalent and unviable mutants are not scored.",
        records[0].cargo_mutants
    );
    for (lab, entries) in equivalents {
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(page, "\nEquivalent survivors of {lab}:\n");
        for e in entries {
            let _ = writeln!(page, "- `{}`: {}", e.mutant, e.why.trim());
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tried(key: &str, outcome: Outcome) -> Tried {
        Tried {
            mutant: key.into(),
            line: 1,
            origin: Origin::CargoMutants {
                genre: "FnValue".into(),
            },
            outcome,
            seconds: 1.0,
        }
    }

    fn equivalent(key: &str) -> Equivalent {
        Equivalent {
            mutant: key.into(),
            why: "same bytes on the wire".into(),
        }
    }

    #[test]
    fn survivors_in_the_baseline_are_equivalent_and_the_rest_fail_the_run() {
        let run = [
            tried(
                "a",
                Outcome::Caught {
                    by: vec!["protocol.ping".into()],
                },
            ),
            tried("b", Outcome::Survived),
            tried("c", Outcome::Survived),
            tried("d", Outcome::Unviable),
            tried("e", Outcome::TimedOut),
        ];
        let keys: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let (counts, score, verdict) = summarize(&run, &[equivalent("b")], &keys, true);
        assert_eq!(
            counts,
            Counts {
                tried: 5,
                caught: 1,
                equivalent: 1,
                survived: 1,
                unviable: 1,
                timed_out: 1,
                checker_errors: 0
            }
        );
        // (caught 1 + timed out 1) ÷ (1 + 1 + survived 1): equivalent and unviable not scored.
        assert_eq!(score, Some(66.7));
        assert_eq!(verdict.unexplained, ["c"]);
        assert!(!verdict.ok());
    }

    #[test]
    fn a_baseline_entry_that_is_caught_or_gone_is_stale() {
        let run = [tried("a", Outcome::Caught { by: vec![] })];
        let keys = vec!["a".to_owned()];
        let baseline = [equivalent("a"), equivalent("gone")];
        let (_, _, verdict) = summarize(&run, &baseline, &keys, true);
        assert_eq!(verdict.stale, ["a", "gone"]);
        // A partial run cannot tell a mutant it did not reach from one that is gone.
        let (_, _, partial) = summarize(&run, &baseline, &keys, false);
        assert_eq!(partial.stale, ["a"]);
    }

    fn report(exit_checks: &[(&str, Status, Option<FailureKind>)]) -> Report {
        let mut checks = Vec::new();
        for (id, status, kind) in exit_checks {
            let mut check: crate::report::CheckResult = serde_json::from_value(serde_json::json!({
                "id": id, "category": "protocol", "title": "t", "status": "pass",
                "points": 0.0, "max_points": 1.0, "message": "", "doc": ""
            }))
            .unwrap();
            check.status = *status;
            check.failure_kind = *kind;
            checks.push(check);
        }
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "lab": "lab-4", "title": "t", "target": "solutions/x",
            "solution": true, "passed": false, "score": 0.0, "max_score": 1.0,
            "checks": checks, "duration_ms": 1,
            "environment": {"rustc": "r", "wasm_bindgen": "w", "workerd": "x", "node": "n"}
        }))
        .unwrap()
    }

    #[test]
    fn exit_status_and_report_decide_the_outcome() {
        let failing = report(&[
            ("protocol.ping", Status::Pass, None),
            (
                "protocol.tools-kv",
                Status::Fail,
                Some(FailureKind::ProtocolError),
            ),
        ]);
        assert_eq!(
            judge(Some(1), false, Some(&failing), ""),
            Outcome::Caught {
                by: vec!["protocol.tools-kv".into()]
            }
        );
        assert_eq!(judge(Some(0), false, Some(&failing), ""), Outcome::Survived);
        let broken = report(&[("build", Status::Error, Some(FailureKind::CompileError))]);
        assert_eq!(judge(Some(2), false, Some(&broken), ""), Outcome::Unviable);
        let trapped = report(&[(
            "runtime.panics",
            Status::Error,
            Some(FailureKind::RuntimeTrap),
        )]);
        assert_eq!(
            judge(Some(2), false, Some(&trapped), ""),
            Outcome::Caught {
                by: vec!["runtime.panics".into()]
            }
        );
        assert_eq!(judge(None, true, None, ""), Outcome::TimedOut);
        assert!(matches!(
            judge(Some(101), false, None, "thread 'main' panicked"),
            Outcome::CheckerError { detail } if detail.contains("panicked")
        ));
    }
}
