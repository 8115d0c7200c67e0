//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! package.json) against the lab-4 reference solution served by `checker serve`: the frozen
//! requirement sets of 2026-07-28 and 2025-11-25, with the course's baseline of checks that
//! cannot apply to a four-tool server (checker/labs/lab-4-full-server/
//! conformance-expected-failures.yml, in the suite's own `--expected-failures` format).
//!
//! Two verdicts must agree that nothing unexpected failed: the suite's own (its exit status
//! with `--expected-failures`, over the scenarios it scores) and the course's (the same
//! baseline read over every scenario that ran, the pending ones too, which is what the
//! `protocol.conformance` check grades). A baseline entry that now passes is stale and fails.

use std::path::Path;
use std::process::Command;

use checker::official_suite::{self, Applicable, Baseline, SuiteRun};

mod common;

use common::serve::serve_solution;
use common::{assert_nothing_left, repo_root, unique_marker};

/// Far above the second or so a run takes.
const SUITE_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

fn lab_dir(root: &Path) -> std::path::PathBuf {
    root.join("checker/labs/lab-4-full-server")
}

/// One revision's requirement set with the baseline: the suite's summary is printed, its
/// exit status returned with what it wrote.
fn run_suite(root: &Path, url: &str, revision: &str, baseline: &Path) -> (bool, SuiteRun) {
    let out = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let mut cmd = Command::new(common::node());
    cmd.current_dir(root)
        .args(official_suite::command_line(revision, url))
        .arg("--expected-failures")
        .arg(baseline)
        .arg("-o")
        .arg(out.path())
        .env("NO_COLOR", "1");
    // Its own process group, stopped after the limit: a hung run fails instead of hanging.
    let ran = checker::processes::output_within(&mut cmd, SUITE_LIMIT)
        .expect("node runs the conformance suite");
    assert!(
        !ran.timed_out,
        "the suite did not finish within {SUITE_LIMIT:?}"
    );
    let output = ran.output;
    // The suite colours its summary even with NO_COLOR; the log reads better without.
    let stdout = strip_colours(&String::from_utf8_lossy(&output.stdout));
    // The suite's summary: one line per scenario, then its baseline verdict.
    let summary = stdout.split("=== SUMMARY ===").nth(1).unwrap_or(&stdout);
    println!(
        "--- official suite, requirements {revision} ({:.1} s) ---{summary}",
        started.elapsed().as_secs_f64()
    );
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
    let scenarios = official_suite::read_results(out.path()).unwrap();
    assert!(
        !scenarios.is_empty(),
        "the suite wrote no results:\n{stdout}"
    );
    (
        output.status.success(),
        SuiteRun {
            revision: revision.to_owned(),
            scenarios,
        },
    )
}

/// Removes ANSI colour sequences (`ESC [ … m`).
fn strip_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_official_conformance_suite_agrees_with_the_solution() {
    let root = repo_root();
    let baseline_path = lab_dir(&root).join("conformance-expected-failures.yml");
    let baseline = Baseline::load(&baseline_path).unwrap();
    let marker = unique_marker("conformance");
    let (mut serve, url) = serve_solution(&marker);

    let mut runs = Vec::new();
    let mut suite_agrees = Vec::new();
    for revision in official_suite::REVISIONS {
        let (mut agrees, mut run) = run_suite(&root, &url, revision, &baseline_path);
        // As the grader does (`official_suite::run`): a connection the runtime reset is no
        // answer from the server, so that run is done once more, and the second one counts.
        if let Some(scenario) = official_suite::dropped_connection(&run.scenarios) {
            println!("the connection dropped in {scenario} ({revision}): running it once more");
            (agrees, run) = run_suite(&root, &url, revision, &baseline_path);
        }
        suite_agrees.push((revision, agrees));
        runs.push(run);
    }
    serve.stop();
    let stderr = serve.take_stderr();

    let verdict = official_suite::judge(&runs, &baseline);
    println!("revision    scenario                                        passed expected unexpected other");
    for t in &verdict.tallies {
        println!(
            "{}  {:<47} {:>6} {:>8} {:>10} {:>5}",
            t.revision, t.scenario, t.passed, t.expected, t.unexpected, t.other
        );
    }
    println!(
        "official suite: {} checks passed, {} expected failures (baseline), {} unexpected, {} stale baseline entries",
        verdict.passed(),
        verdict.expected(),
        verdict.unexpected.len(),
        verdict.stale.len()
    );
    for miss in &verdict.unexpected {
        println!(
            "  unexpected: {:?} {}:{} ({}): {}",
            miss.status, miss.scenario, miss.check, miss.revision, miss.message
        );
    }
    assert!(
        verdict.unexpected.is_empty() && verdict.stale.is_empty(),
        "the official suite disagrees with the solution (above); stale: {:?}",
        verdict.stale
    );
    for (revision, agrees) in suite_agrees {
        assert!(
            agrees,
            "the suite's own baseline check failed at {revision} (its output is above)"
        );
    }
    assert!(stderr.contains("nothing is left running"), "{stderr}");
    assert_nothing_left(&marker);

    // Every scenario that ran is accounted for in conformance.toml, once.
    let applicable = Applicable::load(&lab_dir(&root).join("conformance.toml")).unwrap();
    for run in &runs {
        for scenario in &run.scenarios {
            let name = &scenario.scenario;
            assert!(
                applicable.applies.contains_key(name) ^ applicable.not_applicable.contains_key(name),
                "{name} ({}) must be listed once in conformance.toml, under [applies] or [not_applicable]",
                run.revision
            );
        }
    }
}

#[test]
fn every_baseline_entry_says_why() {
    let root = repo_root();
    let path = lab_dir(&root).join("conformance-expected-failures.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let entries: Vec<&str> = text
        .lines()
        .filter(|line| line.trim_start().starts_with("- "))
        .collect();
    assert_eq!(entries.len(), Baseline::parse(&text).unwrap().server.len());
    for line in entries {
        let reason = line.split_once(" # ").map(|(_, r)| r.trim());
        assert!(
            reason.is_some_and(|r| r.len() > 10),
            "{}: `{line}` needs a one-line reason after ` # `",
            path.display()
        );
    }
    // Every scenario named by the baseline or conformance.toml is one the suite has.
    let applicable = Applicable::load(&lab_dir(&root).join("conformance.toml")).unwrap();
    let mut named: Vec<&String> = applicable
        .applies
        .keys()
        .chain(applicable.not_applicable.keys())
        .collect();
    named.sort();
    assert!(named.len() > 10);
    for entry in Baseline::parse(&text).unwrap().server {
        assert!(
            named.iter().any(|n| **n == entry.scenario),
            "{} names {}, which conformance.toml does not list",
            path.display(),
            entry.scenario
        );
    }
}
