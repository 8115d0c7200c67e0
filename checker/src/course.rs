//! The course: where the repository is, which labs it has, and each lab's manifest.
//!
//! Manifests are course-owned (`checker/labs/<lab>/lab.toml`): budgets, points and fixtures
//! live there, not in the student's crate.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The repository root: the checker lives in `<root>/checker`. `COURSE_ROOT` overrides it
/// (used by tests that grade a copy of the course).
///
/// Otherwise the checkout `cargo run` (so `cargo lab`) ran from, which cargo names at run
/// time; then the path compiled into the binary, if it is still a course; then the
/// checkout the current directory is in. Checkouts sharing a target
/// directory share one binary, and cargo reuses it as fresh when the sources match: it may
/// have been compiled in another checkout, or in a scratch copy deleted since.
pub fn root() -> PathBuf {
    if let Some(dir) = std::env::var_os("COURSE_ROOT") {
        return PathBuf::from(dir);
    }
    let is_course = |root: &Path| crate::integrity::list_path(root).is_file();
    let running = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if let Some(root) = running
        .as_deref()
        .and_then(Path::parent)
        .filter(|root| is_course(root))
    {
        return root.to_path_buf();
    }
    let compiled = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the checker crate sits inside the repository");
    if is_course(compiled) {
        return compiled.to_path_buf();
    }
    // The binary was run directly (`target/release/checker`) after being compiled in a
    // scratch copy since deleted: the checkout the command runs in is the course.
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            cwd.ancestors()
                .find(|dir| is_course(dir))
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| compiled.to_path_buf())
}

/// Where the course's lab manifests and fixtures live.
pub fn manifests_dir(root: &Path) -> PathBuf {
    root.join("checker").join("labs")
}

/// One lab, as described by its `lab.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    /// Canonical id, `lab-N`.
    pub id: String,
    /// Short name that also selects the lab, e.g. `full-server`.
    pub slug: String,
    /// Title shown in reports and `checker list`.
    pub title: String,
    /// One-sentence summary for `checker list`.
    pub summary: String,
    /// `"library"` for a lab graded without a Worker (builds, tests, audit); absent for a
    /// Worker lab.
    #[serde(default)]
    pub kind: LabKind,
    /// The student's crate: directory (relative to the root) and package name.
    pub lab: CrateRef,
    /// The reference solution's crate.
    pub solution: CrateRef,
    /// How the Worker is built and run.
    pub worker: WorkerConfig,
    /// The graded checks, in the order they run and are reported.
    pub checks: Vec<CheckSpec>,
    /// The order to work in: groups of checks, each with a title and the book section that
    /// teaches it. Every check belongs to exactly one task; the first task not done is the
    /// report's next step.
    #[serde(default)]
    pub tasks: Vec<TaskSpec>,
    /// Size budget, for labs graded on the size of the deployed module.
    pub size: Option<SizeConfig>,
    /// Memory budgets and workload, for labs graded on linear memory.
    pub memory: Option<MemoryConfig>,
    /// Files inside the lab that belong to the course.
    #[serde(default)]
    pub integrity: IntegrityConfig,
    /// Directory of this manifest (set after loading).
    #[serde(skip)]
    pub manifest_dir: PathBuf,
}

/// How a lab is graded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabKind {
    /// Built into a Worker and run in workerd (the default).
    #[default]
    Worker,
    /// A crate graded without a Worker: builds and tests on both targets, audit.
    Library,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrateRef {
    /// Crate directory, relative to the repository root.
    pub dir: String,
    /// Cargo package name.
    pub package: String,
    /// The crate's own unit tests fail as shipped (the student makes them pass). Checked by
    /// the suite, so a starting point cannot pass them by accident.
    #[serde(default)]
    #[allow(dead_code)] // read by the suite (tests/solution_unit_tests.rs), not the binary
    pub unit_tests_fail: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Cargo profile the wasm is built with (defined in the root `Cargo.toml`).
    pub profile: String,
    /// workerd compatibility date; must match the lab's `wrangler.toml`.
    pub compatibility_date: String,
    /// KV namespace bindings.
    #[serde(default)]
    pub kv: Vec<String>,
    /// D1 database bindings.
    #[serde(default)]
    pub d1: Vec<String>,
    /// SQL run against the first D1 binding before grading (schema and seed rows), relative
    /// to the manifest.
    pub d1_fixture: Option<String>,
    /// Whether the Worker speaks MCP at `/mcp` (true unless the lab says otherwise): what
    /// `serve` tells the student to point at it. Lab 0 answers plain HTTP at `/`.
    #[serde(default = "speaks_mcp")]
    pub mcp: bool,
}

fn speaks_mcp() -> bool {
    true
}

/// `[size]`: the starting point's deployed size and the pins it was measured under.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeConfig {
    /// Raw bytes of the starting point's deployed `.wasm`, as the checker's pipeline makes it.
    pub baseline_bytes: u64,
    /// At or below this share of the baseline: full points.
    pub full_ratio: f64,
    /// At or above this share: no points; linear in between.
    pub zero_ratio: f64,
    /// The toolchain the baseline was measured with; a change means re-measuring.
    pub measured_with: Pins,
}

/// `[integrity]`: files inside the student's crate that belong to the course (graded tests,
/// data the corpus was recorded with). The course's copy of each lives next to the manifest
/// under `protected/`; `check` reports a student's copy that differs, and grades with the
/// course's where it can.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrityConfig {
    /// Paths relative to the crate directory, e.g. `tests/wasm.rs`.
    #[serde(default)]
    pub protected: Vec<String>,
}

/// `[memory]`: the workload the memory checks send and the budgets they hold it to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    /// What production allows an isolate (JS heap and wasm together): 128 MiB.
    pub limit_bytes: u64,
    /// Requests sent before the growth baseline is read (caches fill, the allocator settles).
    pub warmup_requests: usize,
    /// Requests sent after the baseline; linear memory may grow by at most `growth_budget_pages`
    /// and live heap bytes by at most `growth_budget_heap_bytes` in all.
    pub growth_requests: usize,
    pub growth_budget_pages: u64,
    pub growth_budget_heap_bytes: u64,
    /// Payload sizes, in bytes, cycled through by warm-up and growth requests.
    pub mixed_sizes: Vec<usize>,
    /// The one large payload of `memory.peak`.
    pub peak_payload_bytes: usize,
    /// Peak budget above a fresh instance: `peak_factor` × payload + `peak_slack_bytes`.
    pub peak_factor: f64,
    pub peak_slack_bytes: u64,
}

/// Versions of the tools that decide a module's size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pins {
    /// `channel` of rust-toolchain.toml.
    pub rustc: String,
    /// wasm-bindgen in Cargo.lock (and the CLI installed to match).
    pub wasm_bindgen: String,
    /// npm `binaryen` (wasm-opt) in package.json.
    pub binaryen: String,
    /// The `worker` crate.
    pub worker: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Check id; must name a check the checker implements.
    pub id: String,
    /// Points for a full pass.
    pub points: f64,
    /// For `protocol.tools-list`: the tool names the server must list.
    #[serde(default)]
    pub tools: Vec<String>,
    /// For `protocol.tools-query`: the most rows one `query_data` call may return.
    #[serde(default)]
    pub row_limit: Option<usize>,
    /// For `size.behaviour`: the request/reply corpus, relative to the manifest.
    #[serde(default)]
    pub corpus: Option<String>,
    /// Reported but worth no points (e.g. timings that 2 shared cores cannot grade fairly).
    #[serde(default)]
    pub informational: bool,
    /// Worth no points, but the lab passes only when it passes: a verdict on behaviour the
    /// lab's other checks already score (the official conformance suite's). Graded like
    /// `informational` (any failing check fails the lab); the rubric shows it as a gate.
    #[serde(default)]
    pub gate: bool,
}

/// One task of a lab: a step of the work, graded by the checks it owns.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Stable id, unique in the lab (the JSON report's `task`).
    pub id: String,
    /// What the student does in this step, in a few words.
    pub title: String,
    /// The checks that grade it, by id.
    pub checks: Vec<String>,
    /// The book page and anchor that teaches it, from the repository root.
    pub doc: String,
}

impl Lab {
    /// The task that owns a check, with its position (0-based) among the lab's tasks.
    pub fn task_of(&self, check: &str) -> Option<(usize, &TaskSpec)> {
        self.tasks
            .iter()
            .enumerate()
            .find(|(_, task)| task.checks.iter().any(|c| c == check))
    }

    /// Where a check of this lab goes in a report (see [`crate::report::work_order`]).
    pub fn work_position(&self, check: &str, category: crate::report::Category) -> usize {
        crate::report::work_order(
            category,
            self.task_of(check).map(|(i, _)| i),
            self.tasks.len(),
        )
    }

    /// How many tasks are done when `passes` says which checks pass.
    pub fn tasks_done(&self, passes: impl Fn(&str) -> bool) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.checks.iter().all(|c| passes(c)))
            .count()
    }

    pub fn crate_ref(&self, solution: bool) -> &CrateRef {
        if solution {
            &self.solution
        } else {
            &self.lab
        }
    }

    /// Number in the id, used for ordering and for the `4` shorthand.
    pub fn number(&self) -> u32 {
        self.id
            .trim_start_matches("lab-")
            .parse()
            .unwrap_or(u32::MAX)
    }

    /// True when `name` is one of the lab's accepted names: `lab-4`, `4`, `full-server`,
    /// or the crate directory name `lab-4-full-server`.
    pub fn answers_to(&self, name: &str) -> bool {
        let name = name.trim().trim_end_matches('/');
        let dir_name = Path::new(&self.lab.dir)
            .file_name()
            .and_then(|n| n.to_str());
        name == self.id
            || name == self.slug
            || name == self.number().to_string()
            || Some(name) == dir_name
            || name == self.lab.dir
    }

    pub fn d1_fixture(&self) -> Option<PathBuf> {
        self.worker
            .d1_fixture
            .as_ref()
            .map(|f| self.manifest_dir.join(f))
    }
}

/// The Rust channel the course pins (`rust-toolchain.toml`): the toolchain with the wasm32
/// target, used for every build the checker runs, whatever a crate itself pins.
pub fn toolchain_channel(root: &Path) -> Result<String> {
    let toolchain: toml::Table =
        std::fs::read_to_string(root.join("rust-toolchain.toml"))?.parse()?;
    toolchain["toolchain"]["channel"]
        .as_str()
        .map(str::to_owned)
        .context("rust-toolchain.toml has no channel")
}

impl Pins {
    /// The pins of this checkout, for a crate: rust-toolchain.toml, the crate's lockfile (its
    /// own when standalone, else the workspace's) and package.json.
    pub fn current(root: &Path, krate: &CrateRef) -> Result<Pins> {
        let rustc = toolchain_channel(root)?;
        let lock_dir = krate.lock_dir(root);
        let lock: toml::Table = std::fs::read_to_string(lock_dir.join("Cargo.lock"))
            .with_context(|| format!("cannot read {}/Cargo.lock", lock_dir.display()))?
            .parse()?;
        let locked = |name: &str| -> Result<String> {
            lock["package"]
                .as_array()
                .and_then(|packages| {
                    packages
                        .iter()
                        .find(|p| p["name"].as_str() == Some(name))
                        .and_then(|p| p["version"].as_str())
                })
                .map(str::to_owned)
                .with_context(|| format!("{name} is not in {}/Cargo.lock", lock_dir.display()))
        };
        let package: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("package.json"))?)?;
        let binaryen = package["dependencies"]["binaryen"]
            .as_str()
            .context("package.json does not pin binaryen")?
            .to_owned();
        Ok(Pins {
            rustc,
            wasm_bindgen: locked("wasm-bindgen")?,
            binaryen,
            worker: locked("worker")?,
        })
    }
}

impl CrateRef {
    /// A crate that is its own Cargo workspace (its Cargo.toml has `[workspace]`): the student
    /// owns its profile and lockfile, and it is built with `--manifest-path`.
    pub fn is_standalone(&self, root: &Path) -> bool {
        std::fs::read_to_string(root.join(&self.dir).join("Cargo.toml"))
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .is_some_and(|t| t.contains_key("workspace"))
    }

    /// Where the crate's `Cargo.lock` is: its own directory when standalone, else the root.
    pub fn lock_dir(&self, root: &Path) -> PathBuf {
        if self.is_standalone(root) {
            root.join(&self.dir)
        } else {
            root.to_path_buf()
        }
    }
}

/// Every lab with a manifest, ordered by number.
pub fn labs(root: &Path) -> Result<Vec<Lab>> {
    let dir = manifests_dir(root);
    let mut labs = Vec::new();
    let entries = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read the lab manifests in {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path().join("lab.toml");
        if path.is_file() {
            labs.push(load(&path)?);
        }
    }
    labs.sort_by_key(Lab::number);
    Ok(labs)
}

fn load(path: &Path) -> Result<Lab> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lab: Lab = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid lab manifest", path.display()))?;
    lab.manifest_dir = path.parent().expect("a file has a parent").to_path_buf();
    validate_checks(&lab)
        .with_context(|| format!("{} lists a check it cannot have", path.display()))?;
    Ok(lab)
}

/// Every check a manifest lists is in the registry and runs on this kind of lab.
fn validate_checks(lab: &Lab) -> Result<()> {
    for spec in &lab.checks {
        let Some(check) = crate::checks::find(&spec.id) else {
            bail!(
                "`{}` is no check the checker has. Known ids: {}",
                spec.id,
                crate::checks::known_ids().join(", ")
            );
        };
        let runs = check.runs();
        if !runs.listable_in(lab.kind) {
            bail!(
                "`{}` runs against {runs:?}, which a {:?} lab cannot list",
                spec.id,
                lab.kind
            );
        }
    }
    Ok(())
}

/// Finds a lab by any of its names, or explains which names exist.
pub fn find(root: &Path, name: &str) -> Result<Lab> {
    let labs = labs(root)?;
    if let Some(lab) = labs.iter().find(|l| l.answers_to(name)) {
        return Ok(lab.clone());
    }
    let known: Vec<String> = labs
        .iter()
        .map(|l| format!("{} ({})", l.id, l.slug))
        .collect();
    bail!(
        "no lab called `{name}`. Labs: {}. Run `cargo lab list` to see them all.",
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab4() -> Lab {
        find(&root(), "lab-4").expect("lab 4 has a manifest")
    }

    #[test]
    fn a_lab_answers_to_id_number_slug_and_directory() {
        let lab = lab4();
        for name in [
            "lab-4",
            "4",
            "full-server",
            "lab-4-full-server",
            "labs/lab-4-full-server/",
        ] {
            assert!(lab.answers_to(name), "{name} should select lab 4");
        }
        assert!(!lab.answers_to("lab-44"));
        assert!(!lab.answers_to("full"));
    }

    #[test]
    fn a_manifest_with_an_unknown_check_is_refused_naming_the_file_and_the_known_ids() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(lab4().manifest_dir.join("lab.toml"))
            .unwrap()
            .replace("id = \"protocol.ping\"", "id = \"protocol.pong\"");
        let path = dir.path().join("lab.toml");
        std::fs::write(&path, text).unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("`protocol.pong` is no check"), "{err}");
        assert!(err.contains("protocol.ping"), "{err}");
    }

    #[test]
    fn a_worker_check_in_a_library_lab_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lab1 = find(&root(), "lab-1").unwrap();
        let text = std::fs::read_to_string(lab1.manifest_dir.join("lab.toml"))
            .unwrap()
            .replace("id = \"audit.tree\"", "id = \"protocol.ping\"");
        let path = dir.path().join("lab.toml");
        std::fs::write(&path, text).unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains("`protocol.ping` runs against Worker"), "{err}");
    }

    #[test]
    fn an_unknown_lab_names_the_labs_that_exist() {
        let err = find(&root(), "lab-9").unwrap_err().to_string();
        assert!(err.contains("no lab called `lab-9`"), "{err}");
        assert!(err.contains("lab-4 (full-server)"), "{err}");
    }

    #[test]
    fn every_manifest_points_at_crates_and_fixtures_that_exist() {
        let root = root();
        for lab in labs(&root).unwrap() {
            for krate in [&lab.lab, &lab.solution] {
                let manifest = root.join(&krate.dir).join("Cargo.toml");
                let text = std::fs::read_to_string(&manifest).unwrap();
                assert!(
                    text.contains(&format!("name = \"{}\"", krate.package)),
                    "{} should declare package {}",
                    manifest.display(),
                    krate.package
                );
            }
            if let Some(fixture) = lab.d1_fixture() {
                assert!(fixture.is_file(), "{} is missing", fixture.display());
            }
        }
    }

    /// The checker runs a lab with the bindings and date of its manifest; a student who
    /// deploys uses `wrangler.toml`. They must agree, or local grades would not carry over.
    #[test]
    fn wrangler_toml_agrees_with_the_manifest() {
        let root = root();
        for lab in labs(&root).unwrap() {
            if lab.kind == LabKind::Library {
                continue; // no Worker, no wrangler.toml
            }
            for krate in [&lab.lab, &lab.solution] {
                let path = root.join(&krate.dir).join("wrangler.toml");
                let wrangler: toml::Value =
                    toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_eq!(
                    wrangler["compatibility_date"].as_str(),
                    Some(lab.worker.compatibility_date.as_str()),
                    "{}",
                    path.display()
                );
                let bindings = |table: &str| -> Vec<String> {
                    wrangler
                        .get(table)
                        .and_then(|t| t.as_array())
                        .map(|a| {
                            a.iter()
                                .map(|b| b["binding"].as_str().unwrap().to_owned())
                                .collect()
                        })
                        .unwrap_or_default()
                };
                assert_eq!(
                    bindings("kv_namespaces"),
                    lab.worker.kv,
                    "{}",
                    path.display()
                );
                assert_eq!(
                    bindings("d1_databases"),
                    lab.worker.d1,
                    "{}",
                    path.display()
                );
                // The deployed build uses the profile the checker grades (and so the same
                // [package.metadata.wasm-pack.profile] table): see pipeline::deploy.
                let profile = &lab.worker.profile;
                let args =
                    crate::pipeline::MetadataTable::for_profile(profile).worker_build_args(profile);
                assert_eq!(
                    wrangler["build"]["command"].as_str(),
                    Some(
                        format!(
                            "cargo install -q --locked worker-build@{} && worker-build {args}",
                            crate::bootstrap::WORKER_BUILD_VERSION
                        )
                        .as_str()
                    ),
                    "{}",
                    path.display()
                );
                assert_eq!(wrangler["main"].as_str(), Some("build/index.js"));
            }
        }
    }

    /// Tasks are how a student moves through a lab: none may be missing a check or claim one
    /// twice, and each points at a section of the book that exists.
    #[test]
    fn every_check_belongs_to_exactly_one_task_and_tasks_point_at_the_book() {
        let root = root();
        for lab in labs(&root).unwrap() {
            assert!(!lab.tasks.is_empty(), "{}: no [[tasks]]", lab.id);
            let mut ids = std::collections::BTreeSet::new();
            for task in &lab.tasks {
                assert!(ids.insert(&task.id), "{}: task {} twice", lab.id, task.id);
                assert!(
                    !task.checks.is_empty(),
                    "{}: task {} owns no check",
                    lab.id,
                    task.id
                );
                for check in &task.checks {
                    assert!(
                        lab.checks.iter().any(|c| &c.id == check),
                        "{}: task {} names {check}, which the lab does not run",
                        lab.id,
                        task.id
                    );
                }
            }
            for check in &lab.checks {
                let owners = lab
                    .tasks
                    .iter()
                    .filter(|t| t.checks.contains(&check.id))
                    .count();
                assert_eq!(owners, 1, "{}: {} is in {owners} tasks", lab.id, check.id);
            }
            for task in &lab.tasks {
                let (page, anchor) = task.doc.split_once('#').unwrap();
                let text = std::fs::read_to_string(root.join(page))
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", lab.id, task.doc));
                // mdBook's heading ids: lower case, spaces to dashes, other punctuation dropped.
                let slug = |heading: &str| -> String {
                    heading
                        .trim()
                        .to_lowercase()
                        .chars()
                        .filter_map(|c| match c {
                            ' ' => Some('-'),
                            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                            _ => None,
                        })
                        .collect()
                };
                assert!(
                    text.lines()
                        .filter_map(|l| l.strip_prefix('#'))
                        .any(|h| slug(h.trim_start_matches('#')) == anchor),
                    "{}: no heading for #{anchor} in {page}",
                    lab.id
                );
            }
        }
    }

    #[test]
    fn size_baselines_were_measured_with_todays_pins() {
        let root = root();
        for lab in labs(&root).unwrap() {
            let Some(size) = &lab.size else { continue };
            let now = Pins::current(&root, &lab.lab).unwrap();
            assert_eq!(
                size.measured_with, now,
                "{}: the size baseline ({} bytes) was measured with other tool versions. Re-measure it with `cargo lab size {}` and update [size] in its lab.toml.",
                lab.id, size.baseline_bytes, lab.id
            );
        }
    }
}
