//! The graded checks: one registry. Every check — the grader's own (`integrity`, `build`,
//! the `runtime.*` findings), a Worker lab's runtime checks and a library lab's crate checks
//! — is a function of the context it runs against ([`Code`], the one [`Check`]), joined in
//! [`REGISTRY`] to its id, whose [`CheckMeta`] (title, category, book section, spec section)
//! is data in `checker/checks.toml`. Lab manifests list checks by id; a manifest naming an
//! id the registry does not have is refused when it loads.
//!
//! Adding a check: a `[[check]]` in `checker/checks.toml`, a function of its context, one
//! `Registered(id, Code::…)` line in [`REGISTRY`], recordings under `checker/tests/replay/`
//! (the book's "Adding or changing a lab" has the whole procedure).

pub mod build;
pub mod corpus;
pub mod findings;
pub mod first_worker;
pub mod integrity;
pub mod library;
pub mod mcp;
pub mod memory;
pub mod protocol;
pub mod robustness;
pub mod size;

use std::path::Path;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::course::{CheckSpec, CrateRef, Lab};
use crate::mcp_client::Client;
use crate::pipeline::Artefact;
use crate::report::{
    Budget, Category, CheckResult, Evidence, FailureKind, Location, Measure, Status,
};
use crate::schema::Schemas;
use crate::transport::Runtime;

pub use library::CrateContext;

/// What a check is: the same in every report, the rubric and the book. One `[[check]]` of
/// `checker/checks.toml` each (data, so a title or book anchor changes without Rust).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckMeta {
    /// Stable id, `<category>.<name>` (or `build`, `integrity`, `runtime.*`).
    pub id: String,
    pub category: Category,
    /// One line saying what is required.
    pub title: String,
    /// Book page and anchor that teaches it, relative to `book/src`.
    pub doc: String,
    /// The MCP spec section it comes from, if any (`2025-11-25/basic/lifecycle#…`).
    #[serde(default)]
    pub spec: Option<String>,
}

/// The metas of every check, from `checker/checks.toml` (compiled in: the binary needs no
/// file at run time; `tests::every_registered_check_has_one_meta` keeps the two in step).
static METAS: LazyLock<Vec<CheckMeta>> = LazyLock::new(|| {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        check: Vec<CheckMeta>,
    }
    let file: File = toml::from_str(include_str!("../../checks.toml"))
        .unwrap_or_else(|e| panic!("checker/checks.toml is not valid: {e}"));
    file.check
});

/// The meta of the check with this id.
pub fn meta_of(id: &str) -> &'static CheckMeta {
    METAS
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("checker/checks.toml has no [[check]] with id = {id:?}"))
}

/// What a check runs against (and so which [`On`] its code receives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// The course's own files, before anything is built (`integrity`); in every report.
    Course,
    /// The build of a Worker lab (`build`).
    Build,
    /// The built Worker serving in workerd: protocol, robustness, size, memory.
    Worker,
    /// A library lab's crate, staged with the course's tests: builds, tests, audit.
    Crate,
    /// What a Worker lab's whole run showed (`runtime.*`): reported only when it fails.
    Findings,
}

impl Runs {
    /// Whether a lab manifest of this kind may list a check that runs so.
    pub fn listable_in(self, kind: crate::course::LabKind) -> bool {
        use crate::course::LabKind;
        matches!(
            (kind, self),
            (LabKind::Worker, Runs::Build | Runs::Worker) | (LabKind::Library, Runs::Crate)
        )
    }
}

/// One graded requirement's code. What it is (id, title, book section…) is data, in
/// `checker/checks.toml`; [`REGISTRY`] joins the two by id. Every check of the course is a
/// [`Code`]: a plain function of the context it runs against.
pub trait Check: Sync {
    /// Runs the check against what `on` holds (the grader gives each check the context its
    /// kind needs; manifests are validated against the registry when they load).
    fn run(&self, on: On) -> Outcome;
}

/// What a check runs against, one variant per [`Runs`].
pub enum On<'r, 'a> {
    Course(&'r CourseContext<'a>),
    Build(&'r build::BuildContext<'a>),
    Worker(&'r mut Context<'a>),
    Crate(&'r CrateContext<'a>),
    Findings(&'r findings::FindingsContext<'a>),
}

/// A check's code: a function of what it runs against.
#[derive(Clone, Copy)]
pub enum Code {
    Course(fn(&CourseContext) -> Outcome),
    Build(fn(&build::BuildContext) -> Outcome),
    Worker(fn(&mut Context) -> Outcome),
    Crate(fn(&CrateContext) -> Outcome),
    Findings(fn(&findings::FindingsContext) -> Outcome),
}

impl Code {
    pub fn runs(self) -> Runs {
        match self {
            Code::Course(_) => Runs::Course,
            Code::Build(_) => Runs::Build,
            Code::Worker(_) => Runs::Worker,
            Code::Crate(_) => Runs::Crate,
            Code::Findings(_) => Runs::Findings,
        }
    }
}

impl Check for Code {
    fn run(&self, on: On) -> Outcome {
        match (self, on) {
            (Code::Course(f), On::Course(ctx)) => f(ctx),
            (Code::Build(f), On::Build(ctx)) => f(ctx),
            (Code::Worker(f), On::Worker(ctx)) => f(ctx),
            (Code::Crate(f), On::Crate(ctx)) => f(ctx),
            (Code::Findings(f), On::Findings(ctx)) => f(ctx),
            // Unreachable for a manifest that loaded: `course::load` refuses a check listed
            // in a lab of the wrong kind, and the grader hands each check what it runs on.
            (code, _) => panic!(
                "a {:?} check was given another context (registry and grader disagree)",
                code.runs()
            ),
        }
    }
}

/// What a `Runs::Course` check may use.
pub struct CourseContext<'a> {
    pub root: &'a Path,
    pub lab: &'a Lab,
    pub krate: &'a CrateRef,
}

/// What a `Runs::Worker` check may use while it runs.
pub struct Context<'a> {
    /// Reads state from outside the Worker (D1, KV) and how long the runtime took to start.
    pub server: &'a mut dyn Runtime,
    /// Sends requests to the Worker and keeps a log of every exchange.
    pub client: &'a Client,
    pub schemas: &'a mut Schemas,
    /// The manifest entry that enabled this check (points, expectations).
    pub spec: &'a CheckSpec,
    /// The lab being graded (its bindings, fixtures).
    pub lab: &'a Lab,
    /// The built Worker being graded.
    pub artefact: &'a Artefact,
    /// Where files that go with the report (charts) are written.
    pub reports: &'a std::path::Path,
    /// Whether the reference solution is being graded.
    pub solution: bool,
}

/// How a check's run ended, besides its credit.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// It ran and judged: the credit decides pass or fail.
    #[default]
    Judged,
    /// It could not be carried out (the build failed, the runtime did not start, a tool is
    /// missing): reported as `error`.
    Error,
    /// Not run, because something it depends on failed first: reported as `skipped`.
    NotRun,
}

/// The result of running a check, before points are attached.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Share of the points earned, from 0 to 1; only 1 is a pass.
    pub credit: f64,
    pub ran: Ran,
    pub message: String,
    pub hint: Option<String>,
    pub measured: Option<Measure>,
    pub budget: Option<Budget>,
    pub evidence: Option<Evidence>,
    pub location: Option<Location>,
    /// What kind of failure this is, where the check knows (hints read it); a failure with
    /// none is classified by its category and budget.
    pub failure: Option<FailureKind>,
}

impl Outcome {
    pub fn pass(message: impl Into<String>) -> Self {
        Self {
            credit: 1.0,
            message: message.into(),
            ..Self::default()
        }
    }

    pub fn fail(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            credit: 0.0,
            message: message.into(),
            hint: Some(hint.into()),
            ..Self::default()
        }
    }

    /// Could not be carried out; `hint` says what to do, when something can be done.
    pub fn error(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            ran: Ran::Error,
            message: message.into(),
            hint,
            ..Self::default()
        }
    }

    /// Not run: `why` names what failed first.
    pub fn not_run(why: impl Into<String>) -> Self {
        Self {
            ran: Ran::NotRun,
            message: why.into(),
            ..Self::default()
        }
    }

    pub fn with_evidence(mut self, evidence: Option<Evidence>) -> Self {
        self.evidence = evidence;
        self
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn kind(mut self, failure: FailureKind) -> Self {
        self.failure = Some(failure);
        self
    }

    pub fn passed(&self) -> bool {
        self.ran == Ran::Judged && self.credit >= 1.0
    }
}

impl CheckMeta {
    /// The one way a [`CheckResult`] is made: this check's meta, the manifest entry that
    /// enabled it (none for the grader's own `integrity` and `runtime.*`: no points), and how
    /// its run ended. `duration` is the check's wall time, for checks that ran on their own.
    pub fn result(
        &self,
        spec: Option<&CheckSpec>,
        outcome: Outcome,
        duration: Option<std::time::Duration>,
    ) -> CheckResult {
        let passed = outcome.passed();
        let credit = outcome.credit.clamp(0.0, 1.0);
        let points_available = spec.map_or(0.0, |s| s.points);
        // Neither an informational check nor a gate earns or costs points.
        let informational = spec.is_some_and(|s| s.informational || s.gate);
        let (status, points, max_points) = match outcome.ran {
            Ran::Judged => (
                if passed { Status::Pass } else { Status::Fail },
                // An informational check reports a measurement; it neither earns nor costs.
                if informational {
                    0.0
                } else {
                    crate::report::round2(points_available * credit)
                },
                if informational { 0.0 } else { points_available },
            ),
            Ran::Error => (Status::Error, 0.0, points_available),
            Ran::NotRun => (Status::Skipped, 0.0, points_available),
        };
        let failure_kind = match (outcome.ran, passed) {
            (Ran::NotRun, _) | (_, true) => None,
            _ => Some(outcome.failure.unwrap_or_else(|| {
                FailureKind::by_category(
                    self.category,
                    outcome.ran == Ran::Error,
                    outcome.measured.is_some() && outcome.budget.is_some(),
                )
            })),
        };
        // A pass needs no advice and has no miss to show.
        CheckResult {
            id: self.id.clone(),
            category: self.category,
            title: self.title.clone(),
            status,
            points,
            max_points,
            measured: outcome.measured,
            budget: outcome.budget,
            message: outcome.message,
            hint: if passed { None } else { outcome.hint },
            doc: self.doc.clone(),
            spec: self.spec.clone(),
            evidence: if passed { None } else { outcome.evidence },
            duration_ms: duration.map(|d| d.as_millis() as u64),
            location: if passed { None } else { outcome.location },
            failure_kind,
            task: None,
        }
    }
}

/// A check in the registry: its id (its meta in `checker/checks.toml`) and its code.
pub struct Registered(pub &'static str, pub Code);

impl Registered {
    pub fn id(&self) -> &'static str {
        self.0
    }

    pub fn meta(&self) -> &'static CheckMeta {
        meta_of(self.0)
    }

    /// What it runs against: which labs may list it, and when it runs.
    pub fn runs(&self) -> Runs {
        self.1.runs()
    }

    pub fn run(&self, on: On) -> Outcome {
        self.1.run(on)
    }
}

/// Every check the checker implements, in no particular order (manifests set the order).
pub static REGISTRY: &[Registered] = &[
    Registered("integrity", Code::Course(integrity::integrity)),
    Registered("build", Code::Build(build::build)),
    Registered("protocol.hello", Code::Worker(first_worker::hello)),
    Registered("protocol.echo", Code::Worker(first_worker::echo)),
    Registered("protocol.not-found", Code::Worker(first_worker::not_found)),
    Registered(
        "protocol.initialize",
        Code::Worker(protocol::lifecycle::initialize),
    ),
    Registered(
        "protocol.version-negotiation",
        Code::Worker(protocol::lifecycle::version_negotiation),
    ),
    Registered(
        "protocol.notifications",
        Code::Worker(protocol::lifecycle::initialized_notification),
    ),
    // ANCHOR: registry-ping
    Registered("protocol.ping", Code::Worker(protocol::lifecycle::ping)),
    // ANCHOR_END: registry-ping
    Registered(
        "protocol.tools-list",
        Code::Worker(protocol::tools::tools_list),
    ),
    Registered("protocol.tools-kv", Code::Worker(protocol::tools::kv_tools)),
    Registered(
        "protocol.tools-query",
        Code::Worker(protocol::tools::query_data),
    ),
    Registered(
        "protocol.tool-errors",
        Code::Worker(protocol::tools::tool_errors),
    ),
    Registered(
        "protocol.jsonrpc-errors",
        Code::Worker(protocol::transport::json_rpc_errors),
    ),
    Registered(
        "protocol.http-transport",
        Code::Worker(protocol::transport::http_rules),
    ),
    Registered(
        "protocol.batches",
        Code::Worker(protocol::transport::batches),
    ),
    Registered(
        "protocol.discover",
        Code::Worker(protocol::modern::discover),
    ),
    Registered(
        "protocol.stateless-requests",
        Code::Worker(protocol::modern::stateless_requests),
    ),
    Registered(
        "protocol.header-validation",
        Code::Worker(protocol::modern::header_validation),
    ),
    Registered(
        "protocol.conformance",
        Code::Worker(protocol::official::conformance),
    ),
    Registered(
        "protocol.schema",
        Code::Worker(protocol::conformance::every_message),
    ),
    Registered(
        "robustness.sql-read-only",
        Code::Worker(robustness::sql_read_only),
    ),
    Registered("robustness.bad-input", Code::Worker(robustness::bad_input)),
    Registered("size.raw-bytes", Code::Worker(size::raw_bytes)),
    Registered("size.behaviour", Code::Worker(corpus::behaviour)),
    // The same corpus replay, graded in lab 2: memory work must not change what it says.
    Registered("protocol.behaviour", Code::Worker(corpus::behaviour)),
    Registered("size.startup", Code::Worker(size::startup)),
    Registered("memory.results", Code::Worker(memory::results)),
    Registered("memory.growth", Code::Worker(memory::growth)),
    Registered("memory.peak", Code::Worker(memory::peak)),
    Registered("memory.limit", Code::Worker(memory::limit)),
    Registered("build.wasm32", Code::Crate(library::build_wasm32)),
    Registered("build.native", Code::Crate(library::build_native)),
    Registered("tests.native", Code::Crate(library::tests_native)),
    Registered("tests.wasm", Code::Crate(library::tests_wasm)),
    Registered("audit.imports", Code::Crate(library::audit_imports)),
    Registered("audit.tree", Code::Crate(library::audit_tree)),
    Registered("audit.report", Code::Crate(library::audit_report)),
    Registered("runtime.memory", Code::Findings(findings::isolate_limit)),
    Registered("runtime.hangs", Code::Findings(findings::hangs)),
    Registered("runtime.panics", Code::Findings(findings::panics)),
];

/// The registered check with this id.
pub fn find(id: &str) -> Option<&'static Registered> {
    REGISTRY.iter().find(|c| c.id() == id)
}

/// The registered check with this id, for ids the grader itself names.
pub fn get(id: &str) -> &'static Registered {
    find(id).unwrap_or_else(|| panic!("`{id}` is not in the registry"))
}

/// Every registered id, for error messages.
pub fn known_ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|c| c.id()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_manifest_check_is_registered_and_scored() {
        for lab in crate::course::labs(&crate::course::root()).unwrap() {
            for spec in &lab.checks {
                let check = find(&spec.id).expect("course::load refuses unknown ids");
                assert!(check.runs().listable_in(lab.kind), "{}", spec.id);
                assert!(
                    spec.points > 0.0 || spec.informational || spec.gate,
                    "{}: `{}` is worth no points but is not marked informational or gate",
                    lab.id,
                    spec.id
                );
            }
        }
    }

    #[test]
    fn every_registered_check_has_one_meta() {
        let mut registered = known_ids();
        let mut described: Vec<&str> = METAS.iter().map(|m| m.id.as_str()).collect();
        registered.sort();
        described.sort();
        assert_eq!(
            registered, described,
            "REGISTRY and checker/checks.toml must name the same checks, once each"
        );
    }

    #[test]
    fn check_ids_are_unique_and_name_their_category() {
        let mut ids = known_ids();
        for check in REGISTRY {
            let meta = check.meta();
            let category = meta.category.name();
            assert!(
                meta.id == category
                    || meta.id.starts_with(&format!("{category}."))
                    // The grader's findings about the run as a whole.
                    || (check.runs() == Runs::Findings && meta.id.starts_with("runtime.")),
                "{} is not in category {category}",
                meta.id
            );
            assert!(
                !meta.title.is_empty() && !meta.doc.is_empty(),
                "{}",
                meta.id
            );
        }
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all, "duplicate ids in the registry");
    }

    #[test]
    fn every_doc_anchor_names_a_book_page() {
        let book = crate::course::root().join("book/src");
        for check in REGISTRY {
            let page = check.meta().doc.split('#').next().unwrap();
            assert!(
                book.join(page).is_file(),
                "{}: no book page {page}",
                check.meta().id
            );
        }
    }
}
