//! One graded run: bootstrap → build → run in workerd → checks → [`Report`].

use std::path::Path;
use std::time::Instant;

use crate::bootstrap;
use crate::checks::{self, Context, Outcome};
use crate::course::{CheckSpec, Lab};
use crate::fingerprint::version_of;
use crate::integrity;
use crate::mcp_client::Client;
use crate::pipeline;
use crate::progress;
use crate::report::{Category, CheckResult, Environment, Report, Status, SCHEMA_VERSION};
use crate::runtime::Server;
use crate::schema::Schemas;

/// Path of the MCP endpoint every lab serves.
pub const MCP_PATH: &str = "/mcp";

/// Grades one lab. Files a check writes (charts) go to `reports`.
pub fn grade(root: &Path, lab: &Lab, solution: bool, reports: &Path) -> Report {
    let mut runtime = None;
    let report = grade_warm(root, lab, solution, reports, &mut runtime);
    // Stops node and workerd before the report is shown.
    drop(runtime);
    report
}

/// Grades one lab with a runtime that may already be running (`watch`): a started
/// [`Server`] in `warm` runs the new build instead of a new node and Miniflare, and the
/// server used is left there for the next run.
pub fn grade_warm(
    root: &Path,
    lab: &Lab,
    solution: bool,
    reports: &Path,
    warm: &mut Option<Server>,
) -> Report {
    let started = Instant::now();
    let krate = lab.crate_ref(solution);
    let mut environment = Environment {
        rustc: version_of("rustc", root),
        node: version_of("node", root),
        ..Environment::default()
    };
    // First, before anything is built: whether the files that grade this lab are the course's.
    let mut results = vec![integrity::check(root, lab, krate)];
    if lab.kind.as_deref() == Some("library") {
        results.extend(grade_library(root, lab, krate, &mut environment));
        return report(lab, krate, solution, results, environment, started);
    }
    let build_spec = lab.checks.iter().find(|c| c.id == "build");
    let runtime_specs: Vec<&CheckSpec> = lab.checks.iter().filter(|c| c.id != "build").collect();

    let artefact = match bootstrap::ensure(root) {
        Err(e) => {
            results.push(build_result(
                build_spec,
                Status::Error,
                format!("the tools could not be prepared: {e:#}"),
                None,
            ));
            None
        }
        Ok(tools) => {
            environment.wasm_bindgen = tools.wasm_bindgen_version.clone();
            // A warm runtime is reused; otherwise node loads Miniflare while cargo builds (and
            // is stopped if the build fails).
            let runtime = match warm.take() {
                Some(server) => Ok(Warmth::Running(server)),
                None => Server::spawn(root, &tools).map(Warmth::Cold),
            };
            let step = progress::step(format!("building {} for wasm32", krate.dir));
            progress::note(format!(
                "cargo profile `{}`; a first build takes about a minute",
                lab.worker.profile
            ));
            let built = pipeline::build(root, lab, krate, &tools);
            step.done();
            match built {
                Ok(artefact) => {
                    let size = std::fs::metadata(&artefact.wasm)
                        .map(|m| m.len())
                        .unwrap_or(0);
                    results.push(build_result(
                        build_spec,
                        Status::Pass,
                        format!(
                            "{} built for wasm32 and bound for Workers ({size} bytes of wasm)",
                            krate.package
                        ),
                        None,
                    ));
                    Some((artefact, runtime))
                }
                Err(e) => match e.explain(root, lab, krate) {
                    Ok(failure) => {
                        // A running runtime stays warm for the next attempt.
                        if let Ok(Warmth::Running(server)) = runtime {
                            *warm = Some(server);
                        }
                        let mut build = build_result(
                            build_spec,
                            Status::Error,
                            failure.message,
                            Some(failure.hint),
                        );
                        build.location = failure.location;
                        results.push(build);
                        None
                    }
                    Err(e) => {
                        results.push(build_result(
                            build_spec,
                            Status::Error,
                            format!("the build tools failed: {e:#}"),
                            None,
                        ));
                        None
                    }
                },
            }
        }
    };

    match artefact {
        None => results.extend(
            runtime_specs
                .iter()
                .map(|spec| skipped(spec, "not run: there is no built Worker to run")),
        ),
        Some((artefact, runtime)) => {
            let server = match runtime {
                Ok(Warmth::Running(mut server)) => {
                    let step = progress::step("running the new build in the warm workerd");
                    let reloaded = server.reload(&artefact).map(|()| server);
                    step.done();
                    // A runtime that cannot reload is replaced by a fresh one.
                    reloaded.or_else(|_| {
                        let tools = bootstrap::ensure(root)?;
                        start_cold(lab, &artefact, Server::spawn(root, &tools)?)
                    })
                }
                Ok(Warmth::Cold(server)) => start_cold(lab, &artefact, server),
                Err(e) => Err(e),
            };
            match server {
                Err(e) => {
                    let message = format!("the Worker could not be started in workerd: {e:#}");
                    results.extend(runtime_specs.iter().map(|spec| errored(spec, &message)));
                }
                Ok(mut server) => {
                    environment.workerd = server.workerd_version.clone();
                    let client = Client::new(&server.url, MCP_PATH);
                    let mut schemas = Schemas::new(root);
                    for spec in runtime_specs {
                        // Its requests would not be sent: say why once, in the check that
                        // met it, and call the rest not run rather than failed on their own.
                        if let Some(why) = client.stuck() {
                            results.push(skipped(spec, &format!("not run: {why}")));
                            continue;
                        }
                        let Some(check) = checks::find(&spec.id) else {
                            results.push(errored(
                                spec,
                                "the checker has no such check (fix the lab manifest)",
                            ));
                            continue;
                        };
                        let mut ctx = Context {
                            server: &mut server,
                            client: &client,
                            schemas: &mut schemas,
                            spec,
                            lab,
                            artefact: &artefact,
                            reports,
                            solution,
                        };
                        let started = Instant::now();
                        let outcome = check.run(&mut ctx);
                        let mut result = scored(check.as_ref(), spec, outcome);
                        result.duration_ms = Some(started.elapsed().as_millis() as u64);
                        results.push(result);
                    }
                    if lab.memory.is_none() {
                        results.extend(isolate_limit(&client));
                    }
                    let panics = server.panics();
                    // A panic leaves its request unfinished too; runtime.panics names it.
                    if panics.is_empty() {
                        results.extend(never_finished(&client));
                    }
                    results.extend(panicked(root, &panics));
                    *warm = Some(server);
                }
            }
        }
    }

    report(lab, krate, solution, results, environment, started)
}

/// A failed `runtime.memory` result when a reply of the run took linear memory past the
/// isolate limit; nothing when none did (labs graded on memory have their own check).
fn isolate_limit(client: &Client) -> Option<CheckResult> {
    use checks::memory::{first_over, ISOLATE_LIMIT};
    let log = client.log();
    let (n, exchange, bytes) = first_over(&log, ISOLATE_LIMIT)?;
    let mut result = CheckResult::unscored(
        "runtime.memory",
        Category::Memory,
        "no request takes linear memory past the 128 MiB an isolate may use",
        Status::Fail,
        format!(
            "request {n} of the run took linear memory to {:.1} MiB: production would have killed the isolate (128 MiB, JavaScript heap included), and every request it was serving with it; local workerd does not enforce the limit",
            bytes as f64 / (1024.0 * 1024.0)
        ),
        "concepts/memory.md",
    );
    result.measured = Some(crate::report::Measure {
        value: bytes as f64,
        unit: "bytes".into(),
    });
    result.budget = Some(crate::report::Budget {
        min: None,
        max: Some(ISOLATE_LIMIT as f64),
        unit: "bytes".into(),
    });
    result.hint = Some("Find what that request allocates at once: a buffer sized by the input, a whole body copied, a collection that is never bounded.".into());
    result.evidence = Some(exchange.evidence_expecting("linear memory below 128 MiB"));
    Some(result)
}

/// What workerd answers (HTTP 500) when a request's promise can never settle: its code awaits
/// something nothing will complete, or the instance trapped under it without a panic message.
const HUNG_REPLY: &str = "would never generate a response";

/// A failed `runtime.hangs` result when workerd cancelled requests whose code could never
/// finish, and nothing panicked: the checks only see HTTP 500, so the two usual causes and
/// the way to find them are named here.
fn never_finished(client: &Client) -> Option<CheckResult> {
    let log = client.log();
    let hung: Vec<_> = log
        .iter()
        .filter(|e| e.reply().is_some_and(|r| r.body.contains(HUNG_REPLY)))
        .collect();
    let first = hung.first()?;
    let mut result = CheckResult::unscored(
        "runtime.hangs",
        Category::Robustness,
        "every request's code can finish",
        Status::Fail,
        format!(
            "workerd cancelled {} of {} requests because their code could never finish (HTTP 500, \"your Worker's code had hung\"); the first is below",
            hung.len(),
            log.len()
        ),
        "concepts/async.md#pitfalls",
    );
    result.hint = Some("Two usual causes: the handler awaits something nothing will complete (a channel nobody sends on, std::future::pending, a poll that returns Pending without keeping the waker), or the wasm instance trapped without a panic message (a stack overflow: deep recursion, for instance over deeply nested JSON). Replay the reproduce line against `cargo lab serve` and find where the handler stops.".into());
    result.evidence = Some(first.evidence_expecting("a reply from the Worker's own code"));
    Some(result)
}

/// A failed `runtime.panics` result when the Worker panicked during the run: a panicking
/// request only shows as HTTP 500 ("hung") in the checks, so the panic itself is named here.
fn panicked(root: &Path, panics: &[String]) -> Option<CheckResult> {
    let first = panics.first()?;
    // `panicked at labs/lab-4-full-server/src/lib.rs:6:5: …`: where, for CI annotations.
    let location = first
        .strip_prefix("panicked at ")
        .and_then(|rest| rest.split(": ").next())
        .and_then(|span| pipeline::span_location(root, &[root.to_path_buf()], span));
    let mut result = CheckResult::unscored(
        "runtime.panics",
        Category::Robustness,
        "the Worker does not panic",
        Status::Fail,
        format!(
            "the Worker panicked during the run ({} different panic{}); first: {first}",
            panics.len(),
            if panics.len() == 1 { "" } else { "s" }
        ),
        "concepts/errors.md",
    );
    result.hint = Some("A panic aborts the request (the client sees HTTP 500) and leaves the instance unusable until it restarts. Return an error instead: a JSON-RPC error, or a tool result with isError.".into());
    result.location = location;
    Some(result)
}

/// The runtime a run starts with: already serving an earlier build, or only spawned.
enum Warmth {
    Running(Server),
    Cold(Server),
}

fn start_cold(
    lab: &Lab,
    artefact: &pipeline::Artefact,
    mut server: Server,
) -> anyhow::Result<Server> {
    let step = progress::step("starting the Worker in workerd (Miniflare)");
    let started = server.start(lab, artefact, 0).map(|()| server);
    step.done();
    started
}

fn report(
    lab: &Lab,
    krate: &crate::course::CrateRef,
    solution: bool,
    results: Vec<CheckResult>,
    environment: Environment,
    started: Instant,
) -> Report {
    let score: f64 = results.iter().map(|c| c.points).sum();
    let max_score: f64 = results.iter().map(|c| c.max_points).sum();
    Report {
        schema_version: SCHEMA_VERSION,
        lab: lab.id.clone(),
        title: lab.title.clone(),
        target: krate.dir.clone(),
        solution,
        passed: results.iter().all(|c| c.status == Status::Pass),
        score: round2(score),
        max_score: round2(max_score),
        checks: results,
        environment,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

/// A library lab: no Worker to run; each check builds or tests the crate itself.
fn grade_library(
    root: &Path,
    lab: &Lab,
    krate: &crate::course::CrateRef,
    environment: &mut Environment,
) -> Vec<CheckResult> {
    let tools = match bootstrap::ensure(root) {
        Ok(t) => t,
        Err(e) => {
            let message = format!("the tools could not be prepared: {e:#}");
            return lab
                .checks
                .iter()
                .map(|spec| errored(spec, &message))
                .collect();
        }
    };
    environment.wasm_bindgen = tools.wasm_bindgen_version.clone();
    let toolchain = crate::course::toolchain_channel(root).unwrap_or_else(|_| "stable".into());
    // Built and tested in a copy with the course's versions of the protected files (tests).
    let dir = match integrity::stage(root, lab, krate) {
        Ok(dir) => dir,
        Err(e) => {
            let message = format!("the crate could not be staged for grading: {e:#}");
            return lab
                .checks
                .iter()
                .map(|spec| errored(spec, &message))
                .collect();
        }
    };
    let ctx = checks::library::CrateContext {
        root,
        lab,
        krate,
        dir,
        tools: &tools,
        toolchain,
    };
    let mut results = Vec::new();
    for spec in &lab.checks {
        let Some(check) = checks::library::find(&spec.id) else {
            results.push(errored(
                spec,
                "the checker has no such check (fix the lab manifest)",
            ));
            continue;
        };
        let step = progress::step(check.title());
        let started = Instant::now();
        let outcome = check.run(&ctx);
        step.done();
        let described = checks::describe(&spec.id).expect("found above");
        let mut result = scored_with(&described, spec, outcome);
        result.duration_ms = Some(started.elapsed().as_millis() as u64);
        results.push(result);
    }
    results
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn build_result(
    spec: Option<&CheckSpec>,
    status: Status,
    message: String,
    hint: Option<String>,
) -> CheckResult {
    let max_points = spec.map_or(0.0, |s| s.points);
    CheckResult {
        id: "build".into(),
        category: Category::Build,
        title: "the crate builds for wasm32-unknown-unknown into a Worker".into(),
        status,
        points: if status == Status::Pass {
            max_points
        } else {
            0.0
        },
        max_points,
        measured: None,
        budget: None,
        message,
        hint,
        doc: "reference/checker.md#build".into(),
        spec: None,
        evidence: None,
        duration_ms: None,
        location: None,
    }
}

fn scored(check: &dyn checks::Check, spec: &CheckSpec, outcome: Outcome) -> CheckResult {
    let described = checks::describe(check.id()).expect("a registered check");
    scored_with(&described, spec, outcome)
}

fn scored_with(check: &checks::Described, spec: &CheckSpec, outcome: Outcome) -> CheckResult {
    let credit = outcome.credit.clamp(0.0, 1.0);
    CheckResult {
        id: spec.id.clone(),
        category: check.category,
        title: check.title.into(),
        status: if credit >= 1.0 {
            Status::Pass
        } else {
            Status::Fail
        },
        // An informational check reports a measurement; it neither earns nor costs points.
        points: if spec.informational {
            0.0
        } else {
            round2(spec.points * credit)
        },
        max_points: if spec.informational { 0.0 } else { spec.points },
        measured: outcome.measured,
        budget: outcome.budget,
        message: outcome.message,
        hint: if credit >= 1.0 { None } else { outcome.hint },
        doc: check.doc.into(),
        spec: check.spec.map(str::to_owned),
        evidence: if credit >= 1.0 {
            None
        } else {
            outcome.evidence
        },
        duration_ms: None,
        location: if credit >= 1.0 {
            None
        } else {
            outcome.location
        },
    }
}

fn unrun(spec: &CheckSpec, status: Status, message: &str) -> CheckResult {
    let check = checks::describe(&spec.id);
    CheckResult {
        id: spec.id.clone(),
        category: check.as_ref().map_or(Category::Build, |c| c.category),
        title: check
            .as_ref()
            .map_or_else(|| spec.id.clone(), |c| c.title.to_owned()),
        status,
        points: 0.0,
        max_points: spec.points,
        measured: None,
        budget: None,
        message: message.to_owned(),
        hint: None,
        doc: check
            .as_ref()
            .map_or_else(String::new, |c| c.doc.to_owned()),
        spec: check.as_ref().and_then(|c| c.spec.map(str::to_owned)),
        evidence: None,
        duration_ms: None,
        location: None,
    }
}

fn skipped(spec: &CheckSpec, message: &str) -> CheckResult {
    unrun(spec, Status::Skipped, message)
}

fn errored(spec: &CheckSpec, message: &str) -> CheckResult {
    unrun(spec, Status::Error, message)
}
