//! One graded run, in stages: course files → tools → build → runtime → checks → findings →
//! [`Report`]. Each stage either hands the next what it needs or says why the rest cannot
//! run; every result is made by [`CheckMeta::result`].

use std::path::Path;
use std::time::Instant;

use crate::bootstrap::{self, Tools};
use crate::checks::build::{BuildContext, Built};
use crate::checks::findings::FindingsContext;
use crate::checks::library::{CrateIo, Machine};
use crate::checks::{self, Context, CourseContext, CrateContext, On, Outcome, Runs};
use crate::course::{CheckSpec, CrateRef, Lab, LabKind};
use crate::fingerprint::version_of;
use crate::integrity;
use crate::mcp_client::Client;
use crate::pipeline::{self, Artefact};
use crate::replay::{self, Recorder};
use crate::report::{self, CheckResult, Environment, Report, Status, SCHEMA_VERSION};
use crate::runtime::Server;
use crate::schema::Schemas;
use crate::steps;
use crate::transport::{HttpTransport, Runtime};

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
    grade_with(root, lab, solution, reports, warm, None)
}

/// Grades one lab for real and records what each check and finding asked and got
/// (`checker record`): the report, and the recordings written.
pub fn record(
    root: &Path,
    lab: &Lab,
    solution: bool,
    reports: &Path,
) -> anyhow::Result<(Report, Vec<std::path::PathBuf>)> {
    let recorder = Recorder::default();
    let mut runtime = None;
    let report = grade_with(root, lab, solution, reports, &mut runtime, Some(&recorder));
    drop(runtime);
    let written = recorder
        .kept()
        .iter()
        .map(|recording| replay::save(root, recording))
        .collect::<anyhow::Result<_>>()?;
    Ok((report, written))
}

fn grade_with(
    root: &Path,
    lab: &Lab,
    solution: bool,
    reports: &Path,
    warm: &mut Option<Server>,
    recorder: Option<&Recorder>,
) -> Report {
    let started = Instant::now();
    let mut run = Run {
        root,
        lab,
        krate: lab.crate_ref(solution),
        solution,
        recorder,
        results: Vec::new(),
        environment: Environment {
            rustc: version_of("rustc", root),
            // The Node.js the tools run on (PATH's, or the pinned one when PATH's is too old).
            node: version_of(
                crate::bootstrap::course_node(root).unwrap_or_else(|_| "node".into()),
                root,
            ),
            ..Environment::default()
        },
    };
    // First, before anything is built: whether the files that grade this lab are the course's.
    let course = CourseContext {
        root,
        lab,
        krate: run.krate,
    };
    let integrity = checks::get("integrity");
    let outcome = integrity.run(On::Course(&course));
    run.results
        .push(integrity.meta().result(None, outcome, None));
    match lab.kind {
        LabKind::Library => run.library(),
        LabKind::Worker => run.worker(reports, warm),
    }
    run.report(started)
}

/// What a run has gathered so far.
struct Run<'a> {
    root: &'a Path,
    lab: &'a Lab,
    krate: &'a CrateRef,
    solution: bool,
    /// Set by `checker record`: what each check asked and got is kept as a recording.
    recorder: Option<&'a Recorder>,
    results: Vec<CheckResult>,
    environment: Environment,
}

impl<'a> Run<'a> {
    /// The manifest's checks that run so, in manifest order.
    fn specs(&self, runs: Runs) -> Vec<(&'static checks::Registered, &'a CheckSpec)> {
        self.lab
            .checks
            .iter()
            .map(|spec| (checks::get(&spec.id), spec))
            .filter(|(check, _)| check.runs() == runs)
            .collect()
    }

    /// Results for checks that cannot run, all with the same outcome.
    fn none_run(&mut self, runs: Runs, outcome: impl Fn() -> Outcome) {
        for (check, spec) in self.specs(runs) {
            self.results
                .push(check.meta().result(Some(spec), outcome(), None));
        }
    }

    /// The tools stage; the message says why there are none.
    fn tools(&mut self) -> Result<Tools, String> {
        let tools = bootstrap::ensure(self.root)
            .map_err(|e| format!("the tools could not be prepared: {e:#}"))?;
        self.environment.wasm_bindgen = tools.wasm_bindgen_version.clone();
        Ok(tools)
    }

    /// A library lab: no Worker to run; each check builds or tests the crate itself.
    fn library(&mut self) {
        let tools = match self.tools() {
            Ok(tools) => tools,
            Err(message) => {
                return self.none_run(Runs::Crate, || Outcome::error(message.clone(), None))
            }
        };
        let toolchain =
            crate::course::toolchain_channel(self.root).unwrap_or_else(|_| "stable".into());
        // Built and tested in a copy with the course's versions of the protected files (tests).
        let dir = match integrity::stage(self.root, self.lab, self.krate) {
            Ok(dir) => dir,
            Err(e) => {
                let message = format!("the crate could not be staged for grading: {e:#}");
                return self.none_run(Runs::Crate, || Outcome::error(message.clone(), None));
            }
        };
        let machine = Machine::new(self.root, self.krate, dir.clone(), toolchain);
        let recording_io;
        let io: &dyn CrateIo = match self.recorder {
            Some(recorder) => {
                recording_io = recorder.crate_io(&machine);
                &recording_io
            }
            None => &machine,
        };
        let ctx = CrateContext {
            root: self.root,
            lab: self.lab,
            krate: self.krate,
            dir,
            tools: &tools,
            io,
        };
        self.checks(Runs::Crate, Subject::Crate(&ctx));
    }

    /// A Worker lab: build, run in workerd, check, and look back at the run.
    fn worker(&mut self, reports: &Path, warm: &mut Option<Server>) {
        let tools = match self.tools() {
            Ok(tools) => tools,
            Err(message) => {
                self.judge_build(Built::Tools(message));
                return self.none_run(Runs::Worker, || {
                    Outcome::not_run("not run: there is no built Worker to run")
                });
            }
        };
        // A warm runtime is reused; otherwise node loads Miniflare while cargo builds (and is
        // stopped if the build fails).
        let runtime = match warm.take() {
            Some(server) => Ok(Warmth::Running(server)),
            None => Server::spawn(self.root, &tools).map(Warmth::Cold),
        };
        let Some(artefact) = self.build(&tools) else {
            // A running runtime stays warm for the next attempt.
            if let Ok(Warmth::Running(server)) = runtime {
                *warm = Some(server);
            }
            return self.none_run(Runs::Worker, || {
                Outcome::not_run("not run: there is no built Worker to run")
            });
        };
        let mut server = match self.start(runtime, &artefact) {
            Ok(server) => server,
            Err(e) => {
                let message = format!("the Worker could not be started in workerd: {e:#}");
                return self.none_run(Runs::Worker, || Outcome::error(message.clone(), None));
            }
        };
        self.environment.workerd = server.workerd_version.clone();
        let http = Box::new(HttpTransport::new(&server.url));
        let client = match self.recorder {
            Some(recorder) => Client::over(recorder.transport(http), MCP_PATH),
            None => Client::over(http, MCP_PATH),
        };
        let mut recording_runtime;
        let runtime: &mut dyn Runtime = match self.recorder {
            Some(recorder) => {
                recording_runtime = recorder.runtime(&mut server);
                &mut recording_runtime
            }
            None => &mut server,
        };
        let worker = WorkerRun {
            client: &client,
            runtime,
            schemas: Schemas::new(self.root),
            artefact: &artefact,
            reports,
        };
        self.checks(Runs::Worker, Subject::Worker(worker));
        self.findings(&client, &server.panics());
        *warm = Some(server);
    }

    /// The checks stage, for either kind of lab: each check of the manifest that runs on
    /// `subject`, in manifest order, timed (and recorded, in a recording run).
    fn checks(&mut self, runs: Runs, mut subject: Subject) {
        for (check, spec) in self.specs(runs) {
            let started = Instant::now();
            let mut earlier = Vec::new();
            let outcome = match &mut subject {
                Subject::Crate(ctx) => {
                    let step = steps::step(&check.meta().title);
                    let outcome = check.run(On::Crate(ctx));
                    step.done();
                    outcome
                }
                Subject::Worker(worker) => {
                    // Its requests would not be sent: say why once, in the check that met
                    // it, and call the rest not run rather than failed on their own.
                    if let Some(why) = worker.client.stuck() {
                        let outcome = Outcome::not_run(format!("not run: {why}"));
                        self.results
                            .push(check.meta().result(Some(spec), outcome, None));
                        continue;
                    }
                    if self.recorder.is_some() {
                        earlier = worker.client.log();
                    }
                    check.run(On::Worker(&mut worker.context(spec, self)))
                }
            };
            let result = check
                .meta()
                .result(Some(spec), outcome, Some(started.elapsed()));
            let ready_in = match &subject {
                Subject::Worker(worker) => worker.runtime.ready_in(),
                Subject::Crate(_) => std::time::Duration::ZERO,
            };
            self.keep_recording(check, &result, earlier, ready_in, &[]);
            self.results.push(result);
        }
    }

    /// The build stage: the `build` result, and the artefact when there is one.
    fn build(&mut self, tools: &Tools) -> Option<Artefact> {
        let step = steps::step(format!("building {} for wasm32", self.krate.dir));
        steps::note(format!(
            "cargo profile `{}`; a first build takes about a minute",
            self.lab.worker.profile
        ));
        let mut built = pipeline::build(self.root, self.lab, self.krate, tools);
        step.done();
        if let (Ok(artefact), Some(_)) = (&mut built, &self.lab.size) {
            artefact.upload = self.measure_upload(artefact, tools);
        }
        let (artefact, failure, tools_failed) = match built {
            Ok(artefact) => (Some(artefact), None, None),
            Err(e) => match e.explain(self.root, self.lab, self.krate) {
                Ok(failure) => (None, Some(failure), None),
                Err(e) => (None, None, Some(format!("the build tools failed: {e:#}"))),
            },
        };
        let built = match (&artefact, &failure, tools_failed) {
            (Some(artefact), _, _) => Built::Done {
                package: &self.krate.package,
                wasm_bytes: std::fs::metadata(&artefact.wasm).map_or(0, |m| m.len()),
            },
            (None, Some(failure), _) => Built::Failed(failure),
            (None, None, message) => Built::Tools(message.unwrap_or_default()),
        };
        self.judge_build(built);
        artefact
    }

    /// The whole upload as `wrangler deploy --dry-run` reports it, for a lab graded on size:
    /// shown by `size.raw-bytes`, not graded. Skipped with `CHECKER_MEASURE_UPLOAD=never`
    /// (the mutation runner, which grades hundreds of modules); a failure is a note, not a
    /// failed check.
    fn measure_upload(
        &self,
        artefact: &Artefact,
        tools: &Tools,
    ) -> Option<crate::wrangler::Upload> {
        if std::env::var("CHECKER_MEASURE_UPLOAD").as_deref() == Ok("never") {
            return None;
        }
        crate::wrangler::upload_of(self.root, tools, self.lab, self.krate, artefact)
    }

    fn judge_build(&mut self, built: Built) {
        let ctx = BuildContext { built };
        for (check, spec) in self.specs(Runs::Build) {
            let outcome = check.run(On::Build(&ctx));
            self.results
                .push(check.meta().result(Some(spec), outcome, None));
        }
    }

    /// The runtime stage: the new build served by a warm runtime (reloaded) or a cold one.
    fn start(
        &self,
        runtime: anyhow::Result<Warmth>,
        artefact: &Artefact,
    ) -> anyhow::Result<Server> {
        match runtime? {
            Warmth::Running(mut server) => {
                let step = steps::step("running the new build in the warm workerd");
                let reloaded = server.reload(artefact).map(|()| server);
                step.done();
                // A runtime that cannot reload is replaced by a fresh one.
                reloaded.or_else(|_| {
                    let tools = bootstrap::ensure(self.root)?;
                    start_cold(self.lab, artefact, Server::spawn(self.root, &tools)?)
                })
            }
            Warmth::Cold(server) => start_cold(self.lab, artefact, server),
        }
    }

    /// The findings stage: what the whole run showed, reported only when it fails.
    fn findings(&mut self, client: &Client, panics: &[String]) {
        let ctx = FindingsContext {
            root: self.root,
            lab: self.lab,
            client,
            panics,
        };
        for check in checks::REGISTRY {
            if check.runs() != Runs::Findings {
                continue;
            }
            let outcome = check.run(On::Findings(&ctx));
            let passed = outcome.passed();
            let result = check.meta().result(None, outcome, None);
            if self.recorder.is_some() {
                let log = client.log();
                self.keep_recording(check, &result, log, std::time::Duration::ZERO, panics);
            }
            if !passed {
                self.results.push(result);
            }
        }
    }

    /// In a recording run, what the check just run sent and got, with its result and (for
    /// checks that read the run's whole log) the exchanges before it.
    fn keep_recording(
        &self,
        check: &checks::Registered,
        result: &CheckResult,
        earlier: Vec<crate::mcp_client::Exchange>,
        ready_in: std::time::Duration,
        panics: &[String],
    ) {
        let Some(recorder) = self.recorder else {
            return;
        };
        // Taken either way: what the next check records starts empty.
        let mut recording =
            recorder.take(check.id(), &self.lab.id, self.solution, result, ready_in);
        if NOT_REPLAYED.contains(&check.id()) {
            return;
        }
        let whole_log = READS_THE_WHOLE_LOG
            .iter()
            .find(|(id, _, _)| *id == check.meta().id)
            .map(|&(_, request, reply)| (request, reply))
            // Findings read headers and the start of a reply.
            .or((check.runs() == Runs::Findings).then_some((256, Some(512))));
        if let Some((request, reply)) = whole_log {
            recording.earlier = earlier
                .into_iter()
                .map(|e| replay::cut(e, request, reply))
                .collect();
        }
        recording.panics = panics.to_vec();
        recorder.keep(recording);
    }

    fn report(mut self, started: Instant) -> Report {
        for check in &mut self.results {
            check.task = self.lab.task_of(&check.id).map(|(_, t)| t.id.clone());
        }
        // Checks run in the manifest's order (some read what earlier ones sent); the report
        // lists them in the order to work on them (report::work_order).
        let lab = self.lab;
        self.results.sort_by_key(|c| {
            report::work_order(
                c.category,
                lab.task_of(&c.id).map(|(i, _)| i),
                lab.tasks.len(),
            )
        });
        let score: f64 = self.results.iter().map(|c| c.points).sum();
        let max_score: f64 = self.results.iter().map(|c| c.max_points).sum();
        Report {
            schema_version: SCHEMA_VERSION,
            lab: self.lab.id.clone(),
            title: self.lab.title.clone(),
            target: self.krate.dir.clone(),
            solution: self.solution,
            passed: self.results.iter().all(|c| c.status == Status::Pass),
            score: report::round2(score),
            max_score: report::round2(max_score),
            tasks: report::task_progress(self.lab, &self.results),
            checks: self.results,
            environment: self.environment,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }
}

/// What a run's checks run against.
enum Subject<'s, 'a> {
    /// A library lab's staged crate.
    Crate(&'s CrateContext<'a>),
    /// A Worker lab's built Worker, serving.
    Worker(WorkerRun<'s>),
}

/// The running Worker and what its checks share.
struct WorkerRun<'s> {
    client: &'s Client,
    runtime: &'s mut dyn Runtime,
    schemas: Schemas,
    artefact: &'s Artefact,
    reports: &'s Path,
}

impl<'s> WorkerRun<'s> {
    /// What one check gets.
    fn context<'c>(&'c mut self, spec: &'c CheckSpec, run: &Run<'c>) -> Context<'c> {
        Context {
            server: &mut *self.runtime,
            client: self.client,
            schemas: &mut self.schemas,
            spec,
            lab: run.lab,
            artefact: self.artefact,
            reports: self.reports,
            solution: run.solution,
        }
    }
}

/// Checks that judge every exchange of the run so far, not only their own, and how much of
/// each request and reply they read: the schema check parses requests and validates whole
/// replies; the memory limit reads the memory headers.
const READS_THE_WHOLE_LOG: &[(&str, usize, Option<usize>)] = &[
    ("protocol.schema", 16 * 1024, None),
    ("memory.limit", 256, Some(512)),
];

/// Checks that judge the built module, not exchanges: unit-tested on modules made by hand.
pub const NOT_REPLAYED: &[&str] = &["size.raw-bytes"];

/// The runtime a run starts with: already serving an earlier build, or only spawned.
enum Warmth {
    Running(Server),
    Cold(Server),
}

fn start_cold(lab: &Lab, artefact: &Artefact, mut server: Server) -> anyhow::Result<Server> {
    let step = steps::step("starting the Worker in workerd (Miniflare)");
    let started = server.start(lab, artefact, 0).map(|()| server);
    step.done();
    started
}
