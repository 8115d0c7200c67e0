//! The official MCP conformance suite's verdict on the running Worker: every check of the
//! requirement sets of 2026-07-28 and 2025-11-25 passes, or is one the course's baseline says
//! cannot apply to the lab's server (`conformance-expected-failures.yml` next to the manifest).
//!
//! A gate: worth no points (every behaviour it tests is scored by another check), but the lab
//! passes only when it passes. Like the suite's own verdict on a server, a failure fails it and
//! a warning (a SHOULD) is reported without failing.

use std::path::Path;

use crate::checks::{Context, Outcome};
use crate::official_suite::{self, Baseline, Miss, Status, SuiteError, SuiteRun, Verdict};
use crate::report::Evidence;

/// The port `cargo lab serve` uses by default, for the reproduce line.
const SERVE_PORT: u16 = 8787;

/// How many failing official checks the message names.
const NAMED: usize = 3;

/// How many the evidence lists, and how much of each message it keeps: a starting point
/// fails over a hundred, and a report is read by a person in a hurry.
const LISTED: usize = 12;
const MESSAGE_CHARS: usize = 240;

/// What the message says the gate is, once.
const GATE: &str = "no points, but the lab passes only when the official suite agrees";

pub fn conformance(ctx: &mut Context) -> Outcome {
    let baseline_path = ctx
        .lab
        .manifest_dir
        .join("conformance-expected-failures.yml");
    let baseline = match Baseline::load(&baseline_path) {
        Ok(baseline) => baseline,
        Err(e) => return Outcome::error(format!("{e:#}"), None),
    };
    let mut runs = Vec::new();
    for revision in official_suite::REVISIONS {
        match run_once_more_on_reset(ctx, revision, &baseline) {
            Ok(run) => runs.push(run),
            Err(SuiteError::Setup(why)) => {
                return Outcome::error(
                    format!("the official conformance suite could not run: {why}"),
                    Some("Run `npm ci` in the repository root, then `cargo lab doctor`.".into()),
                )
            }
            Err(hung @ SuiteError::Hung { .. }) => {
                return Outcome::fail(
                    hung.to_string(),
                    "A request that never gets an answer stops the suite: `cargo lab serve` the lab and run the suite by hand (see the book's \"Official conformance suite\") to see which.",
                )
            }
        }
    }
    let verdict = official_suite::judge(&runs, &baseline);
    let shown = baseline_path
        .strip_prefix(crate::course::root())
        .unwrap_or(&baseline_path)
        .display()
        .to_string();
    judged(&verdict, ctx.solution, &node_for_reproduce(), &shown)
}

/// One revision's run; run again once if a check failed because a connection was reset (a
/// fault of the loopback network between two processes, not of the Worker).
fn run_once_more_on_reset(
    ctx: &mut Context,
    revision: &str,
    baseline: &Baseline,
) -> Result<SuiteRun, SuiteError> {
    let run = ctx.server.official_suite(revision)?;
    let reset = official_suite::judge(std::slice::from_ref(&run), baseline)
        .unexpected
        .iter()
        .any(|miss| miss.message.contains("ECONNRESET"));
    if reset {
        ctx.server.official_suite(revision)
    } else {
        Ok(run)
    }
}

/// The Node.js a student should run the suite with by hand: `node`, or the pinned one when
/// the Node on PATH is too old for the suite.
fn node_for_reproduce() -> String {
    let root = crate::course::root();
    match crate::bootstrap::course_node(&root) {
        Ok(node) if node != Path::new("node") => node
            .strip_prefix(&root)
            .unwrap_or(&node)
            .display()
            .to_string(),
        _ => "node".into(),
    }
}

/// The outcome for a verdict: pure, so it is unit-tested on recorded runs.
pub fn judged(verdict: &Verdict, solution: bool, node: &str, baseline: &str) -> Outcome {
    let (failures, warnings): (Vec<&Miss>, Vec<&Miss>) = verdict
        .unexpected
        .iter()
        .partition(|m| m.status != Status::Warning);
    let counts = format!(
        "{} official checks passed, {} cannot apply to this server (fixture tools, prompts, resources, tasks…: {baseline}){}",
        verdict.passed(),
        verdict.expected(),
        if warnings.is_empty() {
            String::new()
        } else {
            format!(", {} warning(s) (SHOULDs, not failing)", distinct(&warnings))
        }
    );
    if solution && !verdict.stale.is_empty() {
        // A course fault, not a student's: the reference solution now passes what the
        // baseline says it cannot.
        return Outcome::fail(
            format!(
                "the baseline is stale: {} now pass ({counts})",
                verdict.stale.join(", ")
            ),
            "Remove these entries from conformance-expected-failures.yml.",
        );
    }
    if failures.is_empty() {
        let outcome = Outcome::pass(format!(
            "the official MCP conformance suite agrees (2026-07-28 and 2025-11-25): {counts}"
        ));
        // Warnings are shown, so a SHOULD the course does not grade is not missed silently.
        return match warnings.is_empty() {
            true => outcome,
            false => outcome.with_evidence(Some(evidence(&warnings, node))),
        };
    }
    // The first few ids, each once; the count is of checks, scenario by scenario.
    let mut ids: Vec<String> = Vec::new();
    for m in &failures {
        let id = format!("{} ({})", m.check, m.revision);
        if !ids.contains(&id) && ids.len() < NAMED {
            ids.push(id);
        }
    }
    let count = distinct(&failures);
    let more = count.saturating_sub(ids.len());
    let and_more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Outcome::fail(
        format!(
            "{count} official check(s) fail: {}{and_more}; {counts}; {GATE}",
            ids.join(", ")
        ),
        "Each id is a check of the official MCP conformance suite, and its message (got) says what the spec requires. Most are the misses the course's own checks above point at: fix those first. The reproduce line runs the first failing scenario by hand.",
    )
    .with_evidence(Some(evidence(&failures, node)))
}

/// How many different official checks `misses` are (the suite reports a check once per
/// sub-case it tries).
fn distinct(misses: &[&Miss]) -> usize {
    let mut seen: Vec<(&str, &str, &str)> = misses
        .iter()
        .map(|m| (m.scenario.as_str(), m.check.as_str(), m.revision.as_str()))
        .collect();
    seen.sort();
    seen.dedup();
    seen.len()
}

fn evidence(misses: &[&Miss], node: &str) -> Evidence {
    // The same check and message, repeated for each sub-case, is one line with a count.
    let mut grouped: Vec<(&Miss, usize)> = Vec::new();
    for miss in misses {
        match grouped.iter_mut().find(|(m, _)| {
            (&m.scenario, &m.check, &m.revision, &m.message)
                == (&miss.scenario, &miss.check, &miss.revision, &miss.message)
        }) {
            Some((_, count)) => *count += 1,
            None => grouped.push((miss, 1)),
        }
    }
    let mut lines: Vec<String> = grouped
        .iter()
        .take(LISTED)
        .map(|(m, count)| {
            let mut message: String = m.message.chars().take(MESSAGE_CHARS).collect();
            if message.len() < m.message.len() {
                message.push('…');
            }
            let times = if *count > 1 {
                format!(" (×{count})")
            } else {
                String::new()
            };
            format!(
                "{:?} {}:{} ({}){times}: {message}",
                m.status, m.scenario, m.check, m.revision
            )
        })
        .collect();
    if grouped.len() > LISTED {
        lines.push(format!(
            "… and {} more: the book's \"Official conformance suite\" section runs them all",
            grouped.len() - LISTED
        ));
    }
    let first = misses[0];
    Evidence {
        request: format!(
            "the official MCP conformance suite (@modelcontextprotocol/conformance), requirement sets {}",
            official_suite::REVISIONS.join(" and ")
        ),
        response: lines.join("\n"),
        expected: Some(
            "every official check passes, or cannot apply to a four-tool server (conformance-expected-failures.yml)"
                .into(),
        ),
        reproduce: format!(
            "{node} {} server --url http://127.0.0.1:{SERVE_PORT}/mcp --scenario {} --spec-version {}",
            official_suite::SUITE_JS,
            first.scenario,
            first.revision
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::official_suite::{judge, ScenarioResult, SuiteCheck};

    fn runs(status: Status) -> Vec<SuiteRun> {
        let check = |id: &str, status| SuiteCheck {
            id: id.into(),
            description: format!("{id} described"),
            status,
            error_message: Some("Expected error code -32602, got -32020".into()),
            details: None,
        };
        vec![SuiteRun {
            revision: "2026-07-28".into(),
            scenarios: vec![ScenarioResult {
                scenario: "server-stateless".into(),
                checks: vec![
                    check("sep-2575-request-meta-invalid-missing-meta", status),
                    check("sep-2575-needs-a-fixture", Status::Failure),
                    check("wire-schema-valid", Status::Success),
                ],
            }],
        }]
    }

    fn baseline() -> Baseline {
        Baseline::parse("server:\n  - server-stateless:sep-2575-needs-a-fixture\n").unwrap()
    }

    #[test]
    fn an_unexpected_official_failure_fails_with_its_id_and_a_reproduce_line() {
        let outcome = judged(
            &judge(&runs(Status::Failure), &baseline()),
            false,
            "node",
            "expected.yml",
        );
        assert!(!outcome.passed());
        assert!(
            outcome.message.starts_with(
                "1 official check(s) fail: sep-2575-request-meta-invalid-missing-meta (2026-07-28)"
            ),
            "{}",
            outcome.message
        );
        let evidence = outcome.evidence.unwrap();
        assert!(
            evidence.response.contains("got -32020"),
            "{}",
            evidence.response
        );
        assert!(
            evidence
                .reproduce
                .ends_with("--scenario server-stateless --spec-version 2026-07-28"),
            "{}",
            evidence.reproduce
        );
    }

    #[test]
    fn expected_failures_do_not_count_and_a_stale_baseline_fails_the_solution_only() {
        let verdict = judge(&runs(Status::Success), &baseline());
        let outcome = judged(&verdict, false, "node", "expected.yml");
        assert!(outcome.passed(), "{}", outcome.message);
        assert!(outcome.message.ends_with("2 official checks passed, 1 cannot apply to this server (fixture tools, prompts, resources, tasks…: expected.yml)"), "{}", outcome.message);

        let mut fixed = runs(Status::Success);
        fixed[0].scenarios[0].checks[1].status = Status::Success;
        let verdict = judge(&fixed, &baseline());
        assert!(judged(&verdict, false, "node", "expected.yml").passed());
        let outcome = judged(&verdict, true, "node", "expected.yml");
        assert!(!outcome.passed());
        assert!(
            outcome
                .message
                .contains("server-stateless:sep-2575-needs-a-fixture"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn a_warning_is_shown_but_does_not_fail_and_repeats_are_one_line() {
        let mut runs = runs(Status::Warning);
        let repeat = runs[0].scenarios[0].checks[0].clone();
        runs[0].scenarios[0].checks.push(repeat);
        let outcome = judged(&judge(&runs, &baseline()), false, "node", "expected.yml");
        assert!(outcome.passed(), "{}", outcome.message);
        assert!(
            outcome
                .message
                .ends_with(", 1 warning(s) (SHOULDs, not failing)"),
            "{}",
            outcome.message
        );
        let evidence = outcome.evidence.unwrap();
        assert_eq!(
            evidence.response.lines().count(),
            1,
            "{}",
            evidence.response
        );
        assert!(evidence.response.contains("(×2)"), "{}", evidence.response);
    }
}
