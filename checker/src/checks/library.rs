//! Checks for a library lab (lab 1): no Worker to run, but the crate must build and pass its
//! tests on both targets, its wasm module must import nothing a Worker cannot provide, its
//! wasm32 dependency tree must hold nothing that cannot work there, and its AUDIT.toml must
//! explain each problem the course knows about.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::bootstrap::{Tools, WASM_TARGET};
use crate::course::{CrateRef, Lab};
use crate::report::{FailureKind, Location};

/// What a library check may use.
pub struct CrateContext<'a> {
    pub root: &'a Path,
    pub lab: &'a Lab,
    pub krate: &'a CrateRef,
    /// Where the crate is built and tested: a staged copy of `krate.dir` with the course's
    /// versions of its protected files (see `integrity::stage`).
    pub dir: PathBuf,
    pub tools: &'a Tools,
    /// Runs cargo in `dir` and reads the files the checks judge: the machine itself, or a
    /// replay of a recorded run (`crate::replay`).
    pub io: &'a dyn CrateIo,
}

/// What a library check asks of the machine.
pub trait CrateIo {
    /// `cargo <args>` in the staged crate, with the course toolchain, and `env` set.
    fn cargo(&self, args: &[&str], env: &[(&str, &Path)]) -> std::io::Result<CargoOutput>;
    /// A file the check judges (the built module, AUDIT.toml).
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
}

/// What a cargo run printed, and whether it succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CargoOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    /// It ran past its limit and was stopped (a test that never ends).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
}

/// How long the tests of a lab may run once built: a few seconds each is plenty, so a run
/// this long has a test that never ends (a retry loop without a limit, a timer that never
/// fires). `CHECKER_TEST_TIMEOUT` seconds overrides it.
fn test_timeout() -> Duration {
    let secs = std::env::var("CHECKER_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// The machine: cargo in the staged crate. A target directory per package: cargo names a
/// cdylib crate's outputs without a hash, so crates sharing one directory could overwrite
/// each other's module and cargo would still call it fresh.
pub struct Machine {
    pub dir: PathBuf,
    pub target: PathBuf,
    /// The course's toolchain channel (rust-toolchain.toml), whatever the crate pins.
    pub toolchain: String,
}

impl Machine {
    pub fn new(root: &Path, krate: &CrateRef, dir: PathBuf, toolchain: String) -> Self {
        let target = crate::pipeline::target_dir(root)
            .join("labs")
            .join(&krate.package);
        Machine {
            dir,
            target,
            toolchain,
        }
    }
}

impl CrateIo for Machine {
    fn cargo(&self, args: &[&str], env: &[(&str, &Path)]) -> std::io::Result<CargoOutput> {
        let run = |args: &[&str], limit: Duration| -> std::io::Result<CargoOutput> {
            let mut cmd = crate::audit::cargo_in(&self.dir, &self.target, &self.toolchain);
            cmd.args(args);
            for (name, value) in env {
                cmd.env(name, value);
            }
            let bounded = crate::processes::output_within(&mut cmd, limit)?;
            Ok(CargoOutput {
                success: bounded.output.status.success() && !bounded.timed_out,
                stdout: String::from_utf8_lossy(&bounded.output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&bounded.output.stderr).into_owned(),
                timed_out: bounded.timed_out,
            })
        };
        if args.first() != Some(&"test") {
            return run(args, crate::pipeline::build_timeout());
        }
        // Build the tests first, under the build's limit, so that the tests themselves can
        // have a short one: a hung test is stopped in minutes, a slow first build is not.
        let no_run: Vec<&str> = args.iter().copied().chain(["--no-run"]).collect();
        let built = run(&no_run, crate::pipeline::build_timeout())?;
        if !built.success {
            return Ok(built);
        }
        run(args, test_timeout())
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

impl CrateContext<'_> {
    fn dir(&self) -> PathBuf {
        self.dir.clone()
    }

    /// Where the compiler's first error is, or else the crate's Cargo.toml: an error inside
    /// a dependency is fixed there.
    fn error_location(&self, first_error: &str) -> Option<Location> {
        crate::pipeline::error_location(self.root, &self.krate.dir, first_error)
            .or_else(|| Some(self.file("Cargo.toml")))
    }

    /// A file of the crate, as a report location.
    fn file(&self, name: &str) -> Location {
        Location {
            path: format!("{}/{name}", self.krate.dir),
            line: None,
        }
    }
}

/// Builds the library; returns the `.wasm` (for wasm32) or the first error.
fn build(ctx: &CrateContext, wasm32: bool) -> Result<Option<PathBuf>, String> {
    let mut args = vec!["build", "--lib", "--message-format=json-render-diagnostics"];
    if wasm32 {
        args.extend(["--target", WASM_TARGET]);
    }
    let output = ctx
        .io
        .cargo(&args, &[])
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.success {
        return Err(crate::pipeline::first_error(&output.stderr));
    }
    let wasm = output.stdout.lines().find_map(|line| {
        let m: serde_json::Value = serde_json::from_str(line).ok()?;
        if m["reason"] != "compiler-artifact"
            || !m["manifest_path"]
                .as_str()?
                .starts_with(ctx.dir().to_str()?)
        {
            return None;
        }
        m["filenames"]
            .as_array()?
            .iter()
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".wasm"))
            .map(PathBuf::from)
    });
    Ok(wasm)
}

pub fn build_wasm32(ctx: &CrateContext) -> Outcome {
    match build(ctx, true) {
        Ok(_) => Outcome::pass("cargo build --target wasm32-unknown-unknown succeeds"),
        Err(first) => Outcome::fail(
            format!("it does not build for wasm32:\n{first}"),
            format!("`cargo lab audit {}` names each dependency that breaks, the path that brings it in and the fix.", ctx.krate.dir),
        )
        .at(ctx.error_location(&first))
        .kind(crate::pipeline::compile_failure(&first)),
    }
}

pub fn build_native(ctx: &CrateContext) -> Outcome {
    match build(ctx, false) {
        Ok(_) => Outcome::pass("cargo build (host target) succeeds"),
        Err(first) => Outcome::fail(
            format!("it no longer builds natively:\n{first}"),
            "Gate wasm-only code and dependencies with cfg(target_arch = \"wasm32\") so the host build keeps its own.",
        )
        .at(ctx.error_location(&first))
        .kind(crate::pipeline::compile_failure(&first)),
    }
}

/// `test result: ok. N passed; M failed` lines of cargo test output, summed.
fn test_counts(stdout: &str) -> (u64, u64) {
    let mut passed = 0;
    let mut failed = 0;
    for line in stdout.lines().filter(|l| l.starts_with("test result:")) {
        let number_before = |word: &str| {
            line.split(';')
                .find(|part| part.contains(word))
                .and_then(|part| {
                    part.split_whitespace()
                        .rev()
                        .nth(1)
                        .or_else(|| part.split_whitespace().next())
                })
                .and_then(|n| {
                    n.trim_start_matches("ok.")
                        .trim_start_matches("FAILED.")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .unwrap_or(0)
        };
        passed += number_before("passed");
        failed += number_before("failed");
    }
    (passed, failed)
}

/// The failing tests and the first panic message, from cargo test output.
/// `running N tests` of a test binary that started, summed over binaries.
fn announced_tests(stdout: &str) -> Option<u64> {
    let counts: Vec<u64> = stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix("running ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect();
    (counts.iter().sum::<u64>() > 0).then(|| counts.iter().sum())
}

fn failures(stdout: &str) -> String {
    let failed: Vec<&str> = stdout
        .lines()
        // libtest says "FAILED", wasm-bindgen-test "FAIL".
        .filter_map(|l| {
            let name = l.strip_prefix("test ")?;
            name.strip_suffix(" ... FAILED")
                .or_else(|| name.strip_suffix(" ... FAIL"))
        })
        .collect();
    let panic = stdout
        .lines()
        .find(|l| l.contains("panicked at"))
        .map(|l| {
            let i = stdout.find(l).unwrap_or(0);
            stdout[i..].lines().take(2).collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_default();
    format!(
        "{}{}",
        failed.join(", "),
        if panic.is_empty() {
            String::new()
        } else {
            format!(" — {panic}")
        }
    )
}

pub fn tests_native(ctx: &CrateContext) -> Outcome {
    run_tests(ctx, &["test", "--no-fail-fast"], "native")
}

pub fn tests_wasm(ctx: &CrateContext) -> Outcome {
    run_tests(
        ctx,
        &[
            "test",
            "--no-fail-fast",
            "--target",
            WASM_TARGET,
            "--test",
            "wasm",
        ],
        "wasm",
    )
}

/// Of a test run that ended before its summary: how many tests reported, and `; failing so
/// far: …` when some failed (empty otherwise).
fn unfinished(stdout: &str) -> (usize, String) {
    let reported = stdout
        .lines()
        .filter(|l| l.starts_with("test ") && l.contains(" ... "))
        .count();
    let failing = match failures(stdout) {
        f if f.is_empty() => String::new(),
        f => format!("; failing so far: {f}"),
    };
    (reported, failing)
}

fn run_tests(ctx: &CrateContext, args: &[&str], what: &str) -> Outcome {
    // Long on purpose: one `cargo test` run, read for each way it can end (pass, wasm-bindgen
    // mismatch, no summary, nothing ran, failures), most specific first.
    let runner = ctx
        .tools
        .wasm_bindgen
        .with_file_name("wasm-bindgen-test-runner");
    let output = match ctx.io.cargo(
        args,
        &[("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)],
    ) {
        Ok(o) => o,
        Err(e) => {
            return Outcome::fail(
                format!("cannot run cargo test: {e}"),
                "Report this to the course maintainers.",
            )
        }
    };
    let (stdout, stderr) = (&output.stdout, &output.stderr);
    let (passed, failed) = test_counts(stdout);
    if output.timed_out {
        let (reported, failing) = unfinished(stdout);
        return Outcome::fail(
            format!(
                "the {what} tests did not finish within {} s, so the checker stopped them ({reported} reported before that{failing})",
                test_timeout().as_secs(),
            ),
            "A test never ends: a retry loop with no attempt limit, a timeout whose timer never fires, a future polled for ever. Run the tests yourself and see which one hangs.",
        )
        .kind(FailureKind::Other);
    }
    if output.success && passed > 0 {
        return Outcome::pass(format!("{passed} {what} tests pass"));
    }
    // The test runner is wasm-bindgen's too: it refuses a module of another version.
    let mismatch = (what == "wasm")
        .then(|| {
            let cli = &ctx.tools.wasm_bindgen_version;
            crate::pipeline::BindgenMismatch::find(ctx.root, ctx.krate, &ctx.dir, cli)
        })
        .flatten();
    if let Some(mismatch) = mismatch {
        return Outcome {
            location: Some(mismatch.location.clone()),
            ..Outcome::fail(mismatch.message(), mismatch.hint())
        }
        .kind(FailureKind::Other);
    }
    if passed + failed == 0 {
        if let Some(announced) = announced_tests(stdout) {
            // Under Node, a test awaiting a future that nothing will ever wake leaves the
            // event loop empty: the runner exits, status 0, before its summary.
            let (reported, failing) = unfinished(stdout);
            return Outcome::fail(
                format!(
                    "the {what} tests started ({announced} announced, {reported} reported) but the run ended without a summary{failing}"
                ),
                "A test awaited a future that never completes (a timer that is never set, a promise nobody resolves): under Node the runner then exits quietly. Look at the first test that did not report.",
            )
            .kind(in_output(&failures(stdout)));
        }
        let first = crate::pipeline::first_error(stderr);
        return Outcome::fail(
            format!("the {what} tests did not run:\n{first}"),
            "They must compile first: fix the build for this target.",
        )
        .kind(in_output(&first));
    }
    let failing = failures(stdout);
    Outcome {
        credit: passed as f64 / (passed + failed) as f64,
        failure: Some(in_output(&failing)),
        message: format!(
            "{passed} of {} {what} tests pass; failing: {failing}",
            passed + failed,
        ),
        hint: Some(if what == "wasm" {
            "Compiling is not working: std's clock, threads, sleep, files and environment compile for wasm32 and fail when called. `cargo lab audit` points at each use.".into()
        } else {
            "The native build must keep working: gate the wasm32 code, do not replace the native one.".into()
        }),
        ..Outcome::default()
    }
}

/// The kind of a test failure, from what the compiler or the tests printed.
fn in_output(text: &str) -> FailureKind {
    crate::pipeline::failure_in_output(text).unwrap_or(FailureKind::Other)
}

pub fn audit_imports(ctx: &CrateContext) -> Outcome {
    let wasm = match build(ctx, true) {
        Ok(Some(w)) => w,
        Ok(None) => {
            return Outcome::fail(
                "the build produced no .wasm (is crate-type cdylib?)",
                "Keep crate-type = [\"cdylib\", \"rlib\"].",
            )
        }
        Err(_) => {
            return Outcome::fail(
                "not judged: the library does not build for wasm32 yet",
                "Fix build.wasm32 first.",
            )
            .kind(FailureKind::CompileError)
        }
    };
    let module = ctx.io.read(&wasm).map_err(anyhow::Error::from);
    match module.and_then(|bytes| unresolved_imports(&bytes)) {
        Ok(bad) if bad.is_empty() => Outcome::pass("only wasm-bindgen's own imports"),
        Ok(bad) => Outcome::fail(
            format!("imports no Worker provides: {}", bad.join(", ")),
            "An `env` import is a C symbol or extern \"C\" function nobody defines; `wasi_*` means std for WASI. Remove the dependency that brings it (cargo lab audit).",
        ),
        Err(e) => Outcome::fail(format!("cannot read the module: {e:#}"), "Report this to the course maintainers."),
    }
}

/// Imports from modules other than wasm-bindgen's placeholders.
pub fn unresolved_imports(module: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut bad = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        if let wasmparser::Payload::ImportSection(imports) = payload? {
            for import in imports.into_imports() {
                let import = import?;
                if !import.module.starts_with("__wbindgen") {
                    bad.push(format!("{}::{}", import.module, import.name));
                }
            }
        }
    }
    Ok(bad)
}

pub fn audit_tree(ctx: &CrateContext) -> Outcome {
    let tree_args = [
        "tree",
        "--target",
        WASM_TARGET,
        "-e",
        "normal",
        "--prefix",
        "none",
        "--no-dedupe",
    ];
    let output = match ctx.io.cargo(&tree_args, &[]) {
        Ok(o) => o,
        Err(e) => {
            return Outcome::fail(
                format!("cannot run cargo tree: {e}"),
                "Report this to the course maintainers.",
            )
        }
    };
    let tree = &output.stdout;
    let mut found: Vec<&str> = crate::audit::knowledge::CRATES
        .iter()
        .filter(|c| {
            [
                "mio",
                "socket2",
                "openssl-sys",
                "native-tls",
                "signal-hook-registry",
            ]
            .contains(&c.name)
        })
        .filter(|c| {
            tree.lines()
                .any(|l| l.split_whitespace().next() == Some(c.name))
        })
        .map(|c| c.name)
        .collect();
    found.dedup();
    if found.is_empty() {
        Outcome::pass("the wasm32 dependency tree has no OS-only crates")
    } else {
        Outcome::fail(
            format!("the wasm32 dependency tree still holds {}", found.join(", ")),
            format!("`cargo tree --manifest-path {}/Cargo.toml -i {} --target wasm32-unknown-unknown` shows who brings it in; see `cargo lab audit`.", ctx.krate.dir, found[0]),
        )
    }
}

/// One entry of the student's AUDIT.toml.
#[derive(Debug, Deserialize)]
struct Finding {
    name: String,
    kind: String,
    #[serde(default)]
    symptom: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    fix: String,
}

#[derive(Debug, Deserialize)]
struct AuditFile {
    #[serde(default)]
    finding: Vec<Finding>,
}

/// One problem the course key requires (checker/labs/<lab>/audit-key.toml).
#[derive(Debug, Deserialize)]
struct Required {
    name: String,
    kind: String,
    /// Names that count as this problem (e.g. rand for getrandom).
    accept: Vec<String>,
    /// What the course knows about it: for instructors reading the key, never shown to
    /// students (it would hand them the answer).
    #[serde(default)]
    #[allow(dead_code)]
    why: String,
}

#[derive(Debug, Deserialize)]
struct Key {
    required: Vec<Required>,
}

fn normalise(name: &str) -> String {
    name.trim().to_lowercase().trim_end_matches("()").to_owned()
}

pub fn audit_report(ctx: &CrateContext) -> Outcome {
    judge_audit_file(ctx).at(Some(ctx.file("AUDIT.toml")))
}

/// AUDIT.toml against the course key: every required problem named, with the right kind and
/// every field filled in.
fn judge_audit_file(ctx: &CrateContext) -> Outcome {
    let key_path = ctx.lab.manifest_dir.join("audit-key.toml");
    // A class copy has no key on disk (`integrity::WITHHELD`); its CI may hand it over.
    let relative = key_path
        .strip_prefix(ctx.root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let bytes = match crate::integrity::withheld_file(ctx.root, &relative) {
        Ok(bytes) => bytes,
        Err(why) if !key_path.exists() => {
            return Outcome::error(
                format!("AUDIT.toml cannot be graded in this copy of the course: the course key is kept by your instructor ({why})"),
                Some("Your class's CI grades it when you open a pull request; every other check of lab 1 runs here as usual.".into()),
            )
        }
        Err(why) => return Outcome::fail(why, "Report this to the course maintainers."),
    };
    let key: Key = match std::str::from_utf8(&bytes)
        .map_err(anyhow::Error::from)
        .and_then(|t| Ok(toml::from_str(t)?))
    {
        Ok(k) => k,
        Err(e) => {
            return Outcome::fail(
                format!("cannot read the course key {}: {e:#}", key_path.display()),
                "Report this to the course maintainers.",
            )
        }
    };
    let path = ctx.dir().join("AUDIT.toml");
    let text = ctx
        .io
        .read(&path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let theirs: AuditFile = match text {
        Err(_) => return Outcome::fail(format!("{} is missing", path.display()), "Write AUDIT.toml: one [[finding]] per problem, with name, kind, symptom, cause and fix."),
        Ok(text) => match toml::from_str(&text) {
            Ok(f) => f,
            Err(e) => return Outcome::fail(format!("AUDIT.toml is not valid: {e}"), "Each entry is a [[finding]] table with the fields name, kind (\"compile\" or \"runtime\"), symptom, cause, fix."),
        },
    };
    let mut tally = super::mcp::Tally::default();
    for expected in &key.required {
        let accepted: Vec<String> = expected.accept.iter().map(|a| normalise(a)).collect();
        let named: Vec<&Finding> = theirs
            .finding
            .iter()
            .filter(|f| accepted.contains(&normalise(&f.name)))
            .collect();
        let found = named
            .iter()
            .find(|f| f.kind.eq_ignore_ascii_case(&expected.kind));
        let verdict = match (found, named.first()) {
            (None, None) => Err(format!("missing (a {} problem)", expected.kind)),
            (None, Some(f)) => Err(format!(
                "listed as {:?}, but it is a {} problem",
                f.kind, expected.kind
            )),
            (Some(f), _)
                if [&f.symptom, &f.cause, &f.fix]
                    .iter()
                    .any(|t| t.trim().is_empty()) =>
            {
                Err("say what failed (symptom), why (cause) and what fixed it (fix)".into())
            }
            (Some(_), _) => Ok(()),
        };
        tally.fact(&expected.name, verdict);
    }
    tally.outcome(
        format!("all {} known problems are explained", key.required.len()),
        "Each problem the wasm32 build or the wasm tests hit deserves an entry: name the crate or API, whether it failed to compile or at run time, and how you fixed it.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wasm_run_that_stops_before_its_summary_is_recognised() {
        let stdout = "running 12 tests\ntest timestamps_stopwatch_measures ... FAIL\ntest timeout_stops_slow_futures ... FAIL\n";
        assert_eq!(test_counts(stdout), (0, 0));
        assert_eq!(announced_tests(stdout), Some(12));
        assert_eq!(
            failures(stdout),
            "timestamps_stopwatch_measures, timeout_stops_slow_futures"
        );
        assert_eq!(announced_tests("running 0 tests\n"), None);
    }

    #[test]
    fn cargo_test_summaries_are_counted() {
        let out = "test result: ok. 3 passed; 0 failed; 0 ignored\ntest result: FAILED. 2 passed; 5 failed; 0 ignored\n";
        assert_eq!(test_counts(out), (5, 5));
    }
}
