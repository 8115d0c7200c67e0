//! The official MCP conformance suite's verdict on the running Worker: every check of the
//! requirement sets of 2026-07-28 and 2025-11-25 passes, or is one the course's baseline says
//! cannot apply to the lab's server (`conformance-expected-failures.yml` next to the manifest).

use crate::checks::{Context, Outcome};
use crate::official_suite::{self, Baseline, Miss, SuiteRun, Verdict};
use crate::report::Evidence;

/// The port `cargo lab serve` uses by default, for the reproduce line.
const SERVE_PORT: u16 = 8787;

/// How many failing official checks the message names.
const NAMED: usize = 3;

/// How many the evidence lists, and how much of each message it keeps: a starting point
/// fails over a hundred, and a report is read by a person in a hurry.
const LISTED: usize = 12;
const MESSAGE_CHARS: usize = 240;

pub fn conformance(ctx: &mut Context) -> Outcome {
    let Some((_, baseline_path)) = official_suite::lab_files(&ctx.lab.manifest_dir) else {
        return Outcome::error(
            format!(
                "{} has no conformance-expected-failures.yml and conformance.toml",
                ctx.lab.manifest_dir.display()
            ),
            None,
        );
    };
    let baseline = match Baseline::load(&baseline_path) {
        Ok(baseline) => baseline,
        Err(e) => return Outcome::error(format!("{e:#}"), None),
    };
    let mut runs = Vec::new();
    for revision in official_suite::REVISIONS {
        match run_once_more_on_reset(ctx, revision, &baseline) {
            Ok(run) => runs.push(run),
            Err(e) => {
                return Outcome::fail(
                    format!("the official conformance suite could not finish: {e:#}"),
                    "Serve the lab with `cargo lab serve` and run the suite by hand (the reproduce line): a request that never gets an answer stops it.",
                )
            }
        }
    }
    let verdict = official_suite::judge(&runs, &baseline);
    judged(&verdict, ctx.solution)
}

/// One revision's run; run again once if a check failed because a connection was reset (a
/// fault of the loopback network between two processes, not of the Worker).
fn run_once_more_on_reset(
    ctx: &mut Context,
    revision: &str,
    baseline: &Baseline,
) -> anyhow::Result<SuiteRun> {
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

/// The outcome for a verdict: pure, so it is unit-tested on recorded runs.
pub fn judged(verdict: &Verdict, solution: bool) -> Outcome {
    let counts = format!(
        "{} official checks passed, {} not applicable (the course's baseline)",
        verdict.passed(),
        verdict.expected()
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
    if verdict.unexpected.is_empty() {
        return Outcome::pass(format!(
            "the official MCP conformance suite agrees (2026-07-28 and 2025-11-25): {counts}"
        ));
    }
    let named: Vec<String> = verdict
        .unexpected
        .iter()
        .take(NAMED)
        .map(|m| format!("{} ({})", m.check, m.revision))
        .collect();
    let more = verdict.unexpected.len().saturating_sub(NAMED);
    let and_more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Outcome::fail(
        format!(
            "{} official check(s) fail: {}{and_more}; {counts}",
            verdict.unexpected.len(),
            named.join(", ")
        ),
        "Each id is a check of the official MCP conformance suite; its message (evidence) says what the spec requires. Fix the behaviour the course's own checks above point at first: most of these are the same misses. To see one by hand, serve the lab and run the reproduce line.",
    )
    .with_evidence(Some(evidence(&verdict.unexpected)))
}

fn evidence(unexpected: &[Miss]) -> Evidence {
    let mut lines: Vec<String> = unexpected
        .iter()
        .take(LISTED)
        .map(|m| {
            let mut message: String = m.message.chars().take(MESSAGE_CHARS).collect();
            if message.len() < m.message.len() {
                message.push('…');
            }
            format!(
                "{:?} {}:{} ({}): {message}",
                m.status, m.scenario, m.check, m.revision
            )
        })
        .collect();
    if unexpected.len() > LISTED {
        lines.push(format!(
            "… and {} more: run the suite by hand (reproduce, without --scenario) to see them all",
            unexpected.len() - LISTED
        ));
    }
    let response = lines.join("\n");
    let first = &unexpected[0];
    Evidence {
        request: format!(
            "the official MCP conformance suite (@modelcontextprotocol/conformance), requirement sets {}",
            official_suite::REVISIONS.join(" and ")
        ),
        response,
        expected: Some("every official check passes, or is listed in the course's baseline".into()),
        reproduce: format!(
            "node {} server --url http://127.0.0.1:{SERVE_PORT}/mcp --scenario {} --spec-version {}",
            official_suite::SUITE_JS,
            first.scenario,
            first.revision
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::official_suite::{judge, ScenarioResult, Status, SuiteCheck};

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
        let outcome = judged(&judge(&runs(Status::Failure), &baseline()), false);
        assert!(!outcome.passed());
        assert!(
            outcome
                .message
                .starts_with("1 official check(s) fail: sep-2575-request-meta-invalid-missing-meta (2026-07-28)"),
            "{}",
            outcome.message
        );
        let evidence = outcome.evidence.unwrap();
        assert!(evidence.response.contains("got -32020"), "{}", evidence.response);
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
        let outcome = judged(&verdict, false);
        assert!(outcome.passed(), "{}", outcome.message);
        assert!(outcome.message.ends_with("2 official checks passed, 1 not applicable (the course's baseline)"), "{}", outcome.message);

        let mut fixed = runs(Status::Success);
        fixed[0].scenarios[0].checks[1].status = Status::Success;
        let verdict = judge(&fixed, &baseline());
        assert!(judged(&verdict, false).passed());
        let outcome = judged(&verdict, true);
        assert!(!outcome.passed());
        assert!(outcome.message.contains("server-stateless:sep-2575-needs-a-fixture"), "{}", outcome.message);
    }
}
