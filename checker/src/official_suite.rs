//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! package.json) run against a served lab, and its verdict read against the course's
//! baseline of checks that cannot apply to the lab's server.
//!
//! The suite runs the scenarios a protocol revision requires, frozen at its release
//! (`--requirements 2026-07-28`), writes one `checks.json` per scenario, and compares failures
//! with an expected-failures YAML of its own format. The same YAML is read here, so an
//! instructor can run the suite by hand with `--expected-failures` and see what the check saw.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// The suite's entry point, relative to the repository root.
pub const SUITE_JS: &str = "node_modules/@modelcontextprotocol/conformance/dist/index.js";

/// The revisions whose frozen requirement sets are run: the stateless revision and the last
/// handshake one (each run at its own wire format).
pub const REVISIONS: [&str; 2] = ["2026-07-28", "2025-11-25"];

/// How long one scenario may wait for the server (the suite's default is 30 s; a hung lab
/// would hold every scenario that long).
const SCENARIO_TIMEOUT_MS: u32 = 5_000;

/// How long one revision's whole run may take before it is stopped.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A check's status in `checks.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Success,
    Failure,
    Warning,
    Info,
    Skipped,
}

/// One check of a scenario, as the suite wrote it (the fields the course reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteCheck {
    /// The official check id, e.g. `sep-2575-request-meta-invalid-missing-meta`.
    pub id: String,
    pub description: String,
    pub status: Status,
    /// Why it failed, in the suite's words.
    #[serde(
        default,
        rename = "errorMessage",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
    /// Where the suite keeps a warning's reason (`details.message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

/// The part of a check's `details` the course reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Details {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl SuiteCheck {
    /// The suite's explanation of a miss, or its description when it gave none.
    pub fn message(&self) -> &str {
        self.error_message
            .as_deref()
            .or_else(|| self.details.as_ref()?.message.as_deref())
            .filter(|m| !m.trim().is_empty())
            .unwrap_or(&self.description)
    }
}

/// One scenario's checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub scenario: String,
    pub checks: Vec<SuiteCheck>,
}

/// One revision's run of the suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteRun {
    pub revision: String,
    pub scenarios: Vec<ScenarioResult>,
}

/// An entry of the expected-failures baseline: a whole scenario, or one check of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub scenario: String,
    pub check: Option<String>,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.check {
            Some(check) => write!(f, "{}:{check}", self.scenario),
            None => f.write_str(&self.scenario),
        }
    }
}

/// The course's baseline, in the suite's `--expected-failures` format.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub server: Vec<Expected>,
}

#[derive(Deserialize)]
struct BaselineFile {
    #[serde(default)]
    server: Vec<String>,
}

impl Baseline {
    pub fn parse(text: &str) -> Result<Baseline> {
        let file: BaselineFile =
            serde_yaml_ng::from_str(text).context("the expected-failures YAML does not parse")?;
        let server = file
            .server
            .iter()
            .map(|entry| match entry.split_once(':') {
                Some((scenario, check)) if !scenario.is_empty() && !check.is_empty() => {
                    Ok(Expected {
                        scenario: scenario.to_owned(),
                        check: Some(check.to_owned()),
                    })
                }
                Some(_) => bail!("`{entry}` is not `<scenario>` or `<scenario>:<check-id>`"),
                None => Ok(Expected {
                    scenario: entry.clone(),
                    check: None,
                }),
            })
            .collect::<Result<_>>()?;
        Ok(Baseline { server })
    }

    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Baseline::parse(&text).with_context(|| path.display().to_string())
    }

    fn covers(&self, scenario: &str, check: &str) -> bool {
        self.server
            .iter()
            .any(|e| e.scenario == scenario && e.check.as_deref().is_none_or(|c| c == check))
    }
}

/// A check that missed: where, which, and the suite's message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Miss {
    pub revision: String,
    pub scenario: String,
    pub check: String,
    pub status: Status,
    pub message: String,
}

/// One scenario's counts at one revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tally {
    pub revision: String,
    pub scenario: String,
    pub passed: usize,
    /// Misses the baseline expects.
    pub expected: usize,
    /// Misses it does not.
    pub unexpected: usize,
    /// Checks reported as information or skipped.
    pub other: usize,
}

/// The suite's verdict read against the baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verdict {
    pub tallies: Vec<Tally>,
    pub unexpected: Vec<Miss>,
    /// Baseline entries that passed and did not miss in any revision: the server now does
    /// what the entry says it cannot (for the reference solution, a stale baseline).
    pub stale: Vec<String>,
}

impl Verdict {
    pub fn passed(&self) -> usize {
        self.tallies.iter().map(|t| t.passed).sum()
    }
    pub fn expected(&self) -> usize {
        self.tallies.iter().map(|t| t.expected).sum()
    }
}

/// Reads the runs against the baseline. Pure, so it is tested on recorded output.
pub fn judge(runs: &[SuiteRun], baseline: &Baseline) -> Verdict {
    let mut verdict = Verdict::default();
    // Baseline entries that missed somewhere, and the checks that passed somewhere.
    let mut missed: BTreeSet<Expected> = BTreeSet::new();
    let mut passed: BTreeSet<(&str, &str)> = BTreeSet::new();
    for run in runs {
        for scenario in &run.scenarios {
            let mut tally = Tally {
                revision: run.revision.clone(),
                scenario: scenario.scenario.clone(),
                passed: 0,
                expected: 0,
                unexpected: 0,
                other: 0,
            };
            for check in &scenario.checks {
                match check.status {
                    Status::Success => {
                        tally.passed += 1;
                        passed.insert((&scenario.scenario, &check.id));
                    }
                    Status::Info | Status::Skipped => tally.other += 1,
                    _ if baseline.covers(&scenario.scenario, &check.id) => {
                        tally.expected += 1;
                        missed.insert(Expected {
                            scenario: scenario.scenario.clone(),
                            check: Some(check.id.clone()),
                        });
                        missed.insert(Expected {
                            scenario: scenario.scenario.clone(),
                            check: None,
                        });
                    }
                    status => {
                        tally.unexpected += 1;
                        verdict.unexpected.push(Miss {
                            revision: run.revision.clone(),
                            scenario: scenario.scenario.clone(),
                            check: check.id.clone(),
                            status,
                            message: check.message().to_owned(),
                        });
                    }
                }
            }
            verdict.tallies.push(tally);
        }
    }
    for entry in &baseline.server {
        let did_pass = passed.iter().any(|(scenario, check)| {
            *scenario == entry.scenario && entry.check.as_deref().is_none_or(|c| c == *check)
        });
        if did_pass && !missed.contains(entry) {
            verdict.stale.push(entry.to_string());
        }
    }
    verdict
}

/// The scenario a result directory holds: `server-tools-list-2026-12-01T10-05-04-920Z` is
/// `tools-list`.
fn scenario_of(dir_name: &str) -> String {
    let name = dir_name.strip_prefix("server-").unwrap_or(dir_name);
    // The timestamp is `YYYY-MM-DDTHH-MM-SS-mmmZ`: 24 characters and a dash before it.
    match name.len().checked_sub(25) {
        Some(cut) if name[cut..].starts_with('-') && name.ends_with('Z') => name[..cut].to_owned(),
        _ => name.to_owned(),
    }
}

/// Every scenario's `checks.json` under the suite's output directory, in name order.
pub fn read_results(dir: &Path) -> Result<Vec<ScenarioResult>> {
    let mut scenarios = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let file = entry.path().join("checks.json");
        if !file.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&file)?;
        let checks: Vec<SuiteCheck> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not the suite's checks.json", file.display()))?;
        scenarios.push(ScenarioResult {
            scenario: scenario_of(&entry.file_name().to_string_lossy()),
            checks,
        });
    }
    scenarios.sort_by(|a, b| a.scenario.cmp(&b.scenario));
    Ok(scenarios)
}

/// The command line that runs one revision's requirement set against `endpoint`.
pub fn command_line(revision: &str, endpoint: &str) -> Vec<String> {
    [
        SUITE_JS,
        "server",
        "--url",
        endpoint,
        "--requirements",
        revision,
        "--timeout",
        &SCENARIO_TIMEOUT_MS.to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Why a run of the suite gave no verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SuiteError {
    /// The course's tools are missing or broken: not the student's doing.
    Setup(String),
    /// It ran past its time limit (a request to the Worker never got an answer); the
    /// scenarios that finished before, in the order they finished.
    Hung {
        revision: String,
        finished: Vec<String>,
    },
}

impl std::fmt::Display for SuiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuiteError::Setup(why) => f.write_str(why),
            SuiteError::Hung { revision, finished } => write!(
                f,
                "the official suite ({revision}) did not finish within {} s and was stopped: a \
                 request to the Worker got no answer ({} scenario(s) had finished{})",
                RUN_LIMIT.as_secs(),
                finished.len(),
                finished
                    .last()
                    .map(|last| format!(", the last {last}"))
                    .unwrap_or_default()
            ),
        }
    }
}

impl std::error::Error for SuiteError {}

/// Runs one revision's requirement set against the MCP endpoint `endpoint` (e.g.
/// `http://127.0.0.1:8787/mcp`) with `node`, and reads what it wrote. The suite exits 1 when
/// a scenario fails; what counts is its `checks.json` files, judged by [`judge`].
///
/// A run in which the local runtime dropped a connection ([`dropped_connection`]) is run once
/// more, and the second run counts: a reset connection is no answer from the server, and on a
/// loaded machine Miniflare's proxy resets one now and then. A server that really breaks its
/// connections breaks them again and is judged on that.
pub fn run(
    root: &Path,
    node: &Path,
    endpoint: &str,
    revision: &str,
) -> std::result::Result<SuiteRun, SuiteError> {
    let first = run_once(root, node, endpoint, revision)?;
    match dropped_connection(&first.scenarios) {
        Some(scenario) => {
            crate::steps::note(format!(
                "official suite ({revision}): the connection dropped in {scenario}; running it once more"
            ));
            run_once(root, node, endpoint, revision)
        }
        None => Ok(first),
    }
}

/// The first scenario with a check that failed because the connection was reset or closed
/// before any answer (the suite's client reports "Request failed: read ECONNRESET", or
/// "socket hang up"), if any.
pub fn dropped_connection(scenarios: &[ScenarioResult]) -> Option<&str> {
    const DROPPED: [&str; 2] = ["ECONNRESET", "socket hang up"];
    scenarios
        .iter()
        .find(|s| {
            s.checks.iter().any(|c| {
                c.status != Status::Success && DROPPED.iter().any(|d| c.message().contains(d))
            })
        })
        .map(|s| s.scenario.as_str())
}

fn run_once(
    root: &Path,
    node: &Path,
    endpoint: &str,
    revision: &str,
) -> std::result::Result<SuiteRun, SuiteError> {
    let setup = |e: anyhow::Error| SuiteError::Setup(format!("{e:#}"));
    let suite = root.join(SUITE_JS);
    if !suite.is_file() {
        return Err(SuiteError::Setup(format!(
            "{} is missing: run `npm ci` in the repository root (it installs the suite from \
             package-lock.json)",
            suite.display()
        )));
    }
    let out = crate::pipeline::run_dir(
        &crate::pipeline::target_dir(root).join(format!("checker/conformance-{revision}")),
    )
    .map_err(setup)?;
    let mut cmd = std::process::Command::new(node);
    cmd.current_dir(root)
        .args(command_line(revision, endpoint))
        .arg("-o")
        .arg(&out)
        .env("NO_COLOR", "1");
    let ran = crate::processes::output_within(&mut cmd, RUN_LIMIT)
        .map_err(|e| SuiteError::Setup(format!("cannot run {}: {e}", node.display())));
    // What it wrote is read before anything else, and the directory always removed.
    let scenarios = read_results(&out);
    let _ = std::fs::remove_dir_all(&out);
    let ran = ran?;
    if ran.timed_out {
        return Err(SuiteError::Hung {
            revision: revision.to_owned(),
            finished: scenarios
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.scenario)
                .collect(),
        });
    }
    let scenarios = scenarios.map_err(setup)?;
    if scenarios.is_empty() {
        let stderr = String::from_utf8_lossy(&ran.output.stderr);
        return Err(SuiteError::Setup(format!(
            "the official suite ({revision}) wrote no results ({}): {}",
            ran.output.status,
            stderr.trim().lines().last().unwrap_or("no message")
        )));
    }
    Ok(SuiteRun {
        revision: revision.to_owned(),
        scenarios,
    })
}

/// The course's account of the suite's scenarios for a lab's server (`conformance.toml` next
/// to the lab's manifest): each scenario once, as applying or not, with why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applicable {
    /// Scenario name → why it applies to this server.
    pub applies: BTreeMap<String, String>,
    /// Scenario name → what it tests that the server does not offer.
    pub not_applicable: BTreeMap<String, String>,
}

impl Applicable {
    pub fn load(path: &Path) -> Result<Applicable> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} does not parse", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: &str, status: Status) -> SuiteCheck {
        SuiteCheck {
            id: id.into(),
            description: format!("{id} described"),
            status,
            error_message: (status == Status::Failure).then(|| format!("{id} failed")),
            details: None,
        }
    }

    fn run(revision: &str, scenarios: &[(&str, Vec<SuiteCheck>)]) -> SuiteRun {
        SuiteRun {
            revision: revision.into(),
            scenarios: scenarios
                .iter()
                .map(|(name, checks)| ScenarioResult {
                    scenario: (*name).into(),
                    checks: checks.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_reset_connection_is_told_from_a_wrong_answer() {
        let mut reset = check("localhost-host-valid-accepted", Status::Failure);
        reset.error_message = Some("Request failed: read ECONNRESET".into());
        let run = run(
            "2026-07-28",
            &[
                ("caching", vec![check("a", Status::Failure)]),
                ("dns-rebinding-protection", vec![reset.clone()]),
            ],
        );
        assert_eq!(
            dropped_connection(&run.scenarios),
            Some("dns-rebinding-protection")
        );
        // A wrong answer, or a reset that the check still passed, is not a dropped connection.
        reset.status = Status::Success;
        let fine = super::tests::run(
            "2026-07-28",
            &[
                ("caching", vec![check("a", Status::Failure)]),
                ("x", vec![reset]),
            ],
        );
        assert_eq!(dropped_connection(&fine.scenarios), None);
    }

    #[test]
    fn result_directories_name_their_scenario() {
        assert_eq!(
            scenario_of("server-tools-list-2026-12-01T10-05-04-920Z"),
            "tools-list"
        );
        assert_eq!(
            scenario_of("server-sep-2164-resource-not-found-2026-12-01T10-05-05-014Z"),
            "sep-2164-resource-not-found"
        );
        assert_eq!(scenario_of("server-ping"), "ping");
    }

    #[test]
    fn the_baseline_reads_the_suites_format() {
        let baseline =
            Baseline::parse("server:\n  - prompts-list # no prompts\n  - caching:sep-2549-x\n")
                .unwrap();
        assert_eq!(
            baseline.server,
            vec![
                Expected {
                    scenario: "prompts-list".into(),
                    check: None
                },
                Expected {
                    scenario: "caching".into(),
                    check: Some("sep-2549-x".into())
                },
            ]
        );
        assert!(Baseline::parse("server:\n  - caching:\n").is_err());
    }

    #[test]
    fn misses_the_baseline_expects_are_not_held_against_the_server() {
        let baseline =
            Baseline::parse("server:\n  - prompts-list\n  - caching:prompts-hints\n").unwrap();
        let runs = [run(
            "2026-07-28",
            vec![
                ("prompts-list", vec![check("prompts-list", Status::Failure)]),
                (
                    "caching",
                    vec![
                        check("tools-hints", Status::Success),
                        check("prompts-hints", Status::Failure),
                        check("resources-hints", Status::Warning),
                    ],
                ),
                ("tools-list", vec![check("tools-list", Status::Info)]),
            ]
            .as_slice(),
        )];
        let verdict = judge(&runs, &baseline);
        assert_eq!(verdict.passed(), 1);
        assert_eq!(verdict.expected(), 2);
        assert_eq!(verdict.unexpected.len(), 1);
        let miss = &verdict.unexpected[0];
        assert_eq!(
            (miss.scenario.as_str(), miss.check.as_str(), miss.status),
            ("caching", "resources-hints", Status::Warning)
        );
        assert_eq!(miss.message, "resources-hints described");
        assert!(verdict.stale.is_empty(), "{:?}", verdict.stale);
    }

    #[test]
    fn an_entry_that_no_longer_misses_is_stale() {
        let baseline = Baseline::parse("server:\n  - ping\n  - caching:a\n  - gone\n").unwrap();
        let runs = [
            run(
                "2026-07-28",
                &[("caching", vec![check("a", Status::Success)])],
            ),
            run(
                "2025-11-25",
                &[
                    ("ping", vec![check("ping", Status::Success)]),
                    ("caching", vec![check("a", Status::Success)]),
                ],
            ),
        ];
        let verdict = judge(&runs, &baseline);
        // `gone` never ran: not stale, only unused at these revisions; nor is an entry whose
        // checks were only skipped or informational.
        assert_eq!(verdict.stale, vec!["ping", "caching:a"]);
        assert!(verdict.unexpected.is_empty());
    }
}
