//! Lab crate → deployable Worker.
//!
//! Why not worker-build: it would need another ~140 s `cargo install` on a fresh machine, it
//! runs wasm-opt on every build (seconds per re-check), and its shim hides the instance from
//! us. Instead the checker runs the same steps itself: `cargo build` for wasm32, then
//! wasm-bindgen with the flags worker-build passes (`--experimental-reset-state-function
//! --force-enable-abort-handler`), then adds an entry module it owns (`harness/entry.mjs`)
//! that re-creates the instance after a panic, as worker-build's shim does. The result is
//! a module Worker that `wrangler deploy` accepts as is.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::bootstrap::{Tools, WASM_TARGET};
use crate::course::{CrateRef, Lab};
use crate::processes;
use crate::report::{FailureKind, Location};

/// A built Worker, ready for the runtime.
#[derive(Debug)]
pub struct Artefact {
    /// The entry module (`index.js`).
    pub entry: PathBuf,
    /// The `.wasm` module the Worker instantiates (the deployed one).
    pub wasm: PathBuf,
    /// wasm-bindgen's output before wasm-opt, with its name section: what size breakdowns
    /// read (the same file as `wasm` when the crate asks for no wasm-opt).
    pub bound: PathBuf,
    /// This run's directory; removed when the artefact is dropped.
    dir: PathBuf,
}

impl Artefact {
    /// The files of a Worker already bound in `dir` (`index.js`, `index_bg.wasm`), as an
    /// artefact that owns the directory: for tests that grade a module made by hand.
    pub fn in_dir(dir: PathBuf) -> Self {
        Artefact {
            entry: dir.join("index.js"),
            wasm: dir.join("index_bg.wasm"),
            bound: dir.join("index_bg.wasm"),
            dir,
        }
    }
}

impl Drop for Artefact {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Why a build produced no Worker.
#[derive(Debug)]
pub enum BuildError {
    /// The crate does not compile: the compiler's first error, as it printed it.
    Compile { first_error: String },
    /// The build ran past its time limit and was stopped.
    TimedOut { limit: std::time::Duration },
    /// The crate compiled against another wasm-bindgen than the course's CLI.
    WasmBindgen(BindgenMismatch),
    /// A tool failed (wasm-bindgen, file system): not the student's code.
    Tool(anyhow::Error),
}

/// A crate whose `Cargo.lock` resolved another wasm-bindgen than the CLI the course installs.
/// The CLI reads what the `#[wasm_bindgen]` macro wrote into the module, in a format that
/// changes with every release, so it refuses such a module — with advice to install a CLI
/// of the crate's version, which here would grade the lab with tools the course does not pin.
#[derive(Debug)]
pub struct BindgenMismatch {
    /// What the crate's lockfile resolved.
    pub locked: String,
    /// The course's CLI.
    pub cli: String,
    /// The crate's directory, relative to the repository.
    pub crate_dir: String,
    /// The crate's Cargo.toml, at its first line naming a wasm-bindgen crate.
    pub location: Location,
}

impl BindgenMismatch {
    /// Compares the lockfile in `lock_dir` (after a build: cargo updates it) with the CLI.
    /// `None` when they agree, or when the lockfile cannot say (wasm-bindgen will).
    pub fn find(root: &Path, krate: &CrateRef, lock_dir: &Path, cli: &str) -> Option<Self> {
        let locked = crate::bootstrap::locked_wasm_bindgen_version(lock_dir).ok()?;
        if locked == cli {
            return None;
        }
        let manifest = format!("{}/Cargo.toml", krate.dir);
        let line = std::fs::read_to_string(root.join(&manifest))
            .ok()
            .and_then(|text| {
                text.lines().position(|l| {
                    l.trim_start()
                        .strip_prefix("wasm-bindgen")
                        .is_some_and(|rest| rest.starts_with([' ', '=', '.', '-']))
                })
            })
            .map(|i| i as u32 + 1);
        Some(Self {
            locked,
            cli: cli.to_owned(),
            crate_dir: krate.dir.clone(),
            location: Location {
                path: manifest,
                line,
            },
        })
    }

    pub fn message(&self) -> String {
        format!(
            "{}/Cargo.lock resolves wasm-bindgen {}, but the course's wasm-bindgen CLI is {}. The CLI reads what the wasm-bindgen macro wrote into the module, in a format that changes with every release: the two must be the same version, so this module cannot be turned into a Worker.",
            self.crate_dir,
            self.locked,
            self.cli
        )
    }

    pub fn hint(&self) -> String {
        format!(
            "Undo the change to {} that moved it (wasm-bindgen, wasm-bindgen-test, wasm-bindgen-futures, js-sys and web-sys move together), or pin `wasm-bindgen = \"={}\"` there; the next build updates Cargo.lock. Do not install another wasm-bindgen-cli: the course grades with {}.",
            self.location.path, self.cli, self.cli
        )
    }
}

pub fn build(
    root: &Path,
    lab: &Lab,
    krate: &CrateRef,
    tools: &Tools,
) -> Result<Artefact, BuildError> {
    let (mut wasm, mut compiled) = cargo_build(root, &lab.worker.profile, krate)?;
    let record = provenance_file(root, krate);
    if !compiled && std::fs::read_to_string(&record).ok() != provenance(root, &wasm) {
        // Cargo calls the module fresh, but the checker did not see this checkout build it:
        // another checkout sharing the target directory may have written the same file name
        // (cargo keys freshness by package, not by path). Rebuild rather than grade theirs.
        touch(&root.join(&krate.dir).join("src/lib.rs")).map_err(BuildError::Tool)?;
        (wasm, compiled) = cargo_build(root, &lab.worker.profile, krate)?;
    }
    if compiled || !record.exists() {
        if let Some(p) = provenance(root, &wasm) {
            let _ = std::fs::create_dir_all(record.parent().unwrap_or(root));
            let _ = std::fs::write(&record, p);
        }
    }
    let lock_dir = krate.lock_dir(root);
    if let Some(mismatch) =
        BindgenMismatch::find(root, krate, &lock_dir, &tools.wasm_bindgen_version)
    {
        return Err(BuildError::WasmBindgen(mismatch));
    }
    bindgen(root, krate, &wasm, tools).map_err(BuildError::Tool)
}

/// How cargo is told which crate to build: `-p` for a workspace member, `--manifest-path`
/// for a crate that is its own workspace.
pub fn package_args(root: &Path, krate: &CrateRef) -> Vec<String> {
    if krate.is_standalone(root) {
        let manifest = root.join(&krate.dir).join("Cargo.toml");
        vec!["--manifest-path".into(), manifest.display().to_string()]
    } else {
        vec!["-p".into(), krate.package.clone()]
    }
}

/// Builds the crate; returns the module and whether rustc produced it in this run (false
/// when cargo found it fresh).
fn cargo_build(
    root: &Path,
    profile: &str,
    krate: &CrateRef,
) -> Result<(PathBuf, bool), BuildError> {
    cargo_build_in(root, profile, krate, &target_dir(root), &[])
}

/// For size analysis only: the crate built with its function names kept (`strip` forced to
/// "debuginfo"), in a target directory of its own so the real build stays cached. The
/// module is cargo's output, before wasm-bindgen.
pub fn build_with_names(root: &Path, lab: &Lab, krate: &CrateRef) -> Result<PathBuf, BuildError> {
    let variable = format!(
        "CARGO_PROFILE_{}_STRIP",
        lab.worker.profile.to_ascii_uppercase().replace('-', "_")
    );
    let target = target_dir(root).join("checker").join("named");
    cargo_build_in(
        root,
        &lab.worker.profile,
        krate,
        &target,
        &[(variable, "debuginfo".into())],
    )
    .map(|(wasm, _)| wasm)
}

fn cargo_build_in(
    root: &Path,
    profile: &str,
    krate: &CrateRef,
    target: &Path,
    env: &[(String, String)],
) -> Result<(PathBuf, bool), BuildError> {
    let child = Command::new("cargo")
        .current_dir(root)
        .args([
            "build",
            "--profile",
            profile,
            "--target",
            WASM_TARGET,
            // Diagnostics rendered as usual on stderr; artefact records as JSON on stdout.
            "--message-format=json-render-diagnostics",
        ])
        .args(package_args(root, krate))
        // A standalone crate would otherwise build into a target directory of its own.
        .env("CARGO_TARGET_DIR", target)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, registered, so an interrupt stops the build too.
        .process_group(0)
        .spawn()
        .context("cannot run cargo")
        .map_err(BuildError::Tool)?;
    let pgid = child.id() as i32;
    processes::register(pgid);
    // A build that never ends (a build script or proc macro in a loop) is stopped, group and
    // all, after the timeout: graded as a build error, not a hang.
    let limit = build_timeout();
    let (finished, watchdog) = std::sync::mpsc::channel::<()>();
    let timer = std::thread::spawn(move || {
        let expired = watchdog.recv_timeout(limit).is_err();
        if expired {
            processes::stop_group(pgid, std::time::Duration::from_secs(2));
        }
        expired
    });
    let output = child.wait_with_output();
    let _ = finished.send(());
    let timed_out = timer.join().unwrap_or(false);
    processes::unregister(pgid);
    let output = output
        .context("waiting for cargo")
        .map_err(BuildError::Tool)?;
    if timed_out {
        return Err(BuildError::TimedOut { limit });
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(BuildError::Compile {
            first_error: first_error(&stderr),
        });
    }
    // A custom profile's outputs live in a directory named after it.
    let wasm = target
        .join(WASM_TARGET)
        .join(profile)
        .join(format!("{}.wasm", krate.package.replace('-', "_")));
    let compiled = String::from_utf8_lossy(&output.stdout).lines().any(|line| {
        serde_json::from_str::<serde_json::Value>(line).is_ok_and(|m| {
            m["reason"] == "compiler-artifact"
                && m["target"]["name"] == krate.package.replace('-', "_").as_str()
                && m["fresh"] == false
        })
    });
    Ok((wasm, compiled))
}

/// A build that failed because of the crate, as the student reads it.
pub struct BuildFailure {
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// The file to look at, when one is known.
    pub location: Option<Location>,
    /// What kind of failure it is, for hints.
    pub kind: FailureKind,
}

impl BuildError {
    /// What the student reads about a failure their crate caused; a tool failure is passed
    /// back as the error it is.
    pub fn explain(self, root: &Path, lab: &Lab, krate: &CrateRef) -> Result<BuildFailure> {
        Ok(match self {
            BuildError::Compile { first_error } => BuildFailure {
                kind: compile_failure(&first_error),
                location: error_location(root, &krate.dir, &first_error),
                message: format!("{} does not compile for wasm32:\n{first_error}", krate.dir),
                hint: format!(
                    "Fix the error above; `cargo build --profile {} --target {WASM_TARGET} {}` shows all of them.",
                    lab.worker.profile,
                    package_args(root, krate).join(" ")
                ),
            },
            BuildError::TimedOut { limit } => BuildFailure {
                kind: FailureKind::Other,
                message: format!(
                    "the build did not finish within {} s and was stopped (cargo and everything it started)",
                    limit.as_secs()
                ),
                hint: "A build script or procedural macro that never ends? `cargo build -vv` shows the step it hangs in. A first build on a slow machine may need longer: set CHECKER_BUILD_TIMEOUT (seconds).".into(),
                location: None,
            },
            BuildError::WasmBindgen(mismatch) => BuildFailure {
                // Not the compiler's: the hint says which pin to restore.
                kind: FailureKind::Other,
                message: mismatch.message(),
                hint: mismatch.hint(),
                location: Some(mismatch.location),
            },
            BuildError::Tool(e) => return Err(e),
        })
    }
}

/// What kind of compile failure the compiler's first error shows: a dependency that refuses
/// wasm32 until a feature or backend is chosen (these are the texts those crates print), or
/// an error in the code.
pub fn compile_failure(first_error: &str) -> FailureKind {
    match failure_in_output(first_error) {
        Some(FailureKind::MissingWasmFeature) => FailureKind::MissingWasmFeature,
        _ => FailureKind::CompileError,
    }
}

/// What kind of failure a tool's own output shows — the compiler's first error, a test's
/// panic — by the texts the compiler, the crates and the test runners print; `None` when it
/// shows none of them.
pub fn failure_in_output(text: &str) -> Option<FailureKind> {
    // What crates print when wasm32 needs a feature or backend chosen.
    const NEEDS_A_FEATURE: &[&str] = &[
        "not supported by default",
        "unsupported by mio",
        "only the WASI",
        "wasm_js",
        "compile_error!",
        "rng-getrandom",
    ];
    // What a panic or trap inside the wasm instance prints.
    const TRAPPED: &[&str] = &[
        "panicked",
        "RuntimeError",
        "unreachable",
        "not implemented on this platform",
    ];
    let any = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if any(NEEDS_A_FEATURE) {
        Some(FailureKind::MissingWasmFeature)
    } else if text.contains("error[") {
        Some(FailureKind::CompileError)
    } else if any(TRAPPED) {
        Some(FailureKind::RuntimeTrap)
    } else {
        None
    }
}

/// How long one cargo build may take: 20 minutes (a first build of a lab takes one or two on
/// two cores), or `CHECKER_BUILD_TIMEOUT` seconds.
fn build_timeout() -> std::time::Duration {
    let secs = std::env::var("CHECKER_BUILD_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20 * 60);
    std::time::Duration::from_secs(secs)
}

fn touch(file: &Path) -> Result<()> {
    std::fs::File::options()
        .append(true)
        .open(file)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        .with_context(|| format!("cannot update the time stamp of {}", file.display()))
}

/// Who produced the module at a path, as the checker last saw it: which course checkout,
/// and the file's size and modification time then.
fn provenance(root: &Path, wasm: &Path) -> Option<String> {
    let meta = std::fs::metadata(wasm).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{}\n{}\n{}",
        root.canonicalize()
            .unwrap_or_else(|_| root.to_path_buf())
            .display(),
        meta.len(),
        modified.as_nanos()
    ))
}

fn provenance_file(root: &Path, krate: &CrateRef) -> PathBuf {
    target_dir(root)
        .join("checker")
        .join(&krate.package)
        .join("built-from")
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (CI shares one), else `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

/// The first `error` block cargo printed (up to the blank line that ends it), or the tail of
/// the output when there is none (a linker or build-script failure).
/// Lines are cut to a readable length and blocks to a screenful: a linker error carries the
/// whole linker command line, tens of kilobytes that help nobody.
pub fn first_error(stderr: &str) -> String {
    const LINE: usize = 240;
    const LINES: usize = 30;
    let lines: Vec<&str> = stderr.lines().collect();
    let block = if let Some(start) = lines.iter().position(|l| l.starts_with("error")) {
        let end = lines[start..]
            .iter()
            .position(|l| l.trim().is_empty())
            .map_or(lines.len(), |n| start + n);
        &lines[start..end]
    } else {
        &lines[lines.len().saturating_sub(15)..]
    };
    let mut shown: Vec<String> = block
        .iter()
        .take(LINES)
        .map(|l| {
            if l.len() <= LINE {
                (*l).to_owned()
            } else {
                let mut end = LINE;
                while !l.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}… ({} characters cut)", &l[..end], l.len() - end)
            }
        })
        .collect();
    if block.len() > LINES {
        shown.push(format!("… ({} more lines)", block.len() - LINES));
    }
    shown.join("\n")
}

/// The file and line of the compiler's first error (its `--> path:line:col` line), relative to
/// the repository root; `None` when the error is outside it (in a dependency from the
/// registry, where the fix is the lab's Cargo.toml rather than the file).
pub fn error_location(root: &Path, crate_dir: &str, first_error: &str) -> Option<Location> {
    let span = first_error
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    // rustc prints paths relative to the workspace it builds: the repository for a member,
    // the crate itself for a crate that is its own workspace.
    span_location(root, &[root.to_path_buf(), root.join(crate_dir)], span)
}

/// A `path:line:col` span as a report location, when the path (relative to one of `bases`)
/// is a file inside the repository.
pub fn span_location(root: &Path, bases: &[PathBuf], span: &str) -> Option<Location> {
    let mut parts = span.trim().rsplitn(3, ':');
    let (_column, line, path) = (parts.next()?, parts.next()?, parts.next()?);
    let full = bases
        .iter()
        .map(|base| base.join(path))
        .find(|p| p.is_file())?;
    let relative = full.strip_prefix(root).ok()?;
    Some(Location {
        path: relative.to_string_lossy().replace('\\', "/"),
        line: line.parse().ok(),
    })
}

fn bindgen(root: &Path, krate: &CrateRef, wasm: &Path, tools: &Tools) -> Result<Artefact> {
    let dir = run_dir(&target_dir(root).join("checker").join(&krate.package))?;
    let output = Command::new(&tools.wasm_bindgen)
        .arg(wasm)
        .arg("--out-dir")
        .arg(&dir)
        .args([
            "--out-name",
            "glue",
            "--target",
            "web",
            "--no-typescript",
            "--experimental-reset-state-function",
            "--force-enable-abort-handler",
        ])
        .output()
        .with_context(|| format!("cannot run {}", tools.wasm_bindgen.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "wasm-bindgen failed on {}:\n{}",
            wasm.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let entry = dir.join("index.js");
    std::fs::copy(root.join("checker/harness/entry.mjs"), &entry)
        .context("cannot write the entry module")?;
    let wasm = dir.join("glue_bg.wasm");
    let mut bound = wasm.clone();
    if let Some(flags) = wasm_opt_flags(&root.join(&krate.dir).join("Cargo.toml"))? {
        bound = dir.join("bound.wasm.keep");
        std::fs::copy(&wasm, &bound).context("cannot keep wasm-bindgen's output")?;
        optimise_cached(root, krate, &wasm, &flags)?;
    }
    Ok(Artefact {
        wasm,
        bound,
        entry,
        dir,
    })
}

/// Features rustc's wasm32 target emits today; wasm-opt must accept them to read the module.
const WASM_FEATURES: &[&str] = &[
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-reference-types",
    // wasm-bindgen's `--force-enable-abort-handler` wraps imports in try_table.
    "--enable-exception-handling",
];

/// The wasm-opt flags a crate asks for, from the key worker-build and wasm-pack read:
/// `[package.metadata.wasm-pack.profile.release] wasm-opt = ["-Oz"]`. `None` when the crate
/// does not ask (or says `false`): then the deployed module is wasm-bindgen's output.
pub fn wasm_opt_flags(manifest: &Path) -> Result<Option<Vec<String>>> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let toml: toml::Value = toml::from_str(&text)
        .with_context(|| format!("{} is not valid TOML", manifest.display()))?;
    let setting = [
        "package",
        "metadata",
        "wasm-pack",
        "profile",
        "release",
        "wasm-opt",
    ]
    .iter()
    .try_fold(&toml, |value, key| value.get(key));
    Ok(match setting {
        None | Some(toml::Value::Boolean(false)) => None,
        Some(toml::Value::Boolean(true)) => Some(vec!["-O".to_owned()]),
        Some(toml::Value::Array(flags)) => Some(
            flags
                .iter()
                .map(|f| f.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .with_context(|| {
                    format!("{}: wasm-opt flags must be strings", manifest.display())
                })?,
        ),
        Some(other) => anyhow::bail!(
            "{}: `wasm-opt` must be true, false or a list of flags, not {other}",
            manifest.display()
        ),
    })
}

/// wasm-opt takes seconds; the same input and flags always give the same output, so the
/// result is kept under `target/checker/<pkg>/wasm-opt/` keyed by both, and a re-check of
/// unchanged code costs a file copy.
fn optimise_cached(root: &Path, krate: &CrateRef, wasm: &Path, flags: &[String]) -> Result<()> {
    let input = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let cache = target_dir(root)
        .join("checker")
        .join(&krate.package)
        .join("wasm-opt");
    let cached = cache.join(format!("{}.wasm", wasm_opt_key(&input, flags)));
    // Another check may prune the cache meanwhile: a failed copy just means running wasm-opt.
    if cached.is_file() && std::fs::copy(&cached, wasm).is_ok() {
        return Ok(());
    }
    wasm_opt(root, wasm, flags)?;
    // Written under a temporary name and renamed, so a concurrent reader never sees half a file;
    // only the newest few outputs are kept.
    std::fs::create_dir_all(&cache)?;
    let partial = cache.join(format!("{}.partial", std::process::id()));
    if std::fs::copy(wasm, &partial).is_ok() {
        let _ = std::fs::rename(&partial, &cached);
    }
    prune(&cache, 4);
    Ok(())
}

/// Keeps the `keep` most recently written files of `dir`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, path) in files.into_iter().skip(keep) {
        let _ = std::fs::remove_file(path);
    }
}

/// The cache key of a wasm-opt run: the first 16 bytes of the SHA-256 of the input (with its
/// length, so no input and flags run together into another's) and the flags, in hex. Keys
/// were FNV-1a before: a cache from then misses once (a miss only costs a wasm-opt run).
fn wasm_opt_key(input: &[u8], flags: &[String]) -> String {
    let digest = Sha256::new()
        .chain_update((input.len() as u64).to_le_bytes())
        .chain_update(input)
        .chain_update(flags.join(" "))
        .finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Optimises the module in place with the pinned wasm-opt (npm `binaryen`).
fn wasm_opt(root: &Path, wasm: &Path, flags: &[String]) -> Result<()> {
    let bin = root.join("node_modules/binaryen/bin/wasm-opt");
    let output = Command::new(&bin)
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .args(flags)
        .args(WASM_FEATURES)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !output.status.success() {
        // wasm-opt prints the whole offending function per error: keep the first few lines.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let head: Vec<&str> = stderr.lines().take(12).collect();
        anyhow::bail!(
            "wasm-opt {} failed (the crate's [package.metadata.wasm-pack.profile.release] wasm-opt flags):\n{}",
            flags.join(" "),
            head.join("\n")
        );
    }
    Ok(())
}

/// A fresh directory for this run's Worker under `parent`, named after our pid, so two
/// checks of the same lab at once never overwrite each other's files. Directories left by
/// runs that no longer exist (killed with SIGKILL) are removed on the way.
pub fn run_dir(parent: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    for entry in std::fs::read_dir(parent)?.flatten() {
        let stale = entry
            .file_name()
            .to_str()
            .and_then(|name| name.strip_prefix("run-")?.parse::<i32>().ok())
            .is_some_and(|pid| !processes::alive(pid));
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = parent.join(format!("run-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::{first_error, wasm_opt_flags, wasm_opt_key};

    #[test]
    fn the_wasm_opt_key_is_stable_and_changes_with_input_or_flags() {
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let key = wasm_opt_key(b"\0asm one", &flags(&["-Oz"]));
        assert_eq!(key, wasm_opt_key(b"\0asm one", &flags(&["-Oz"])));
        assert_eq!(key.len(), 32);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(key, wasm_opt_key(b"\0asm two", &flags(&["-Oz"])));
        assert_ne!(key, wasm_opt_key(b"\0asm one", &flags(&["-O3"])));
        assert_ne!(key, wasm_opt_key(b"\0asm one", &[]));
        // Input and flags do not run together.
        assert_ne!(
            wasm_opt_key(b"ab", &flags(&["c"])),
            wasm_opt_key(b"a", &flags(&["bc"]))
        );
    }

    #[test]
    fn wasm_opt_flags_come_from_the_wasm_pack_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        let read = |text: &str| {
            std::fs::write(&manifest, text).unwrap();
            wasm_opt_flags(&manifest)
        };
        assert_eq!(read("[package]\nname = \"x\"").unwrap(), None);
        assert_eq!(
            read("[package.metadata.wasm-pack.profile.release]\nwasm-opt = [\"-Oz\", \"--strip-debug\"]").unwrap(),
            Some(vec!["-Oz".to_owned(), "--strip-debug".to_owned()])
        );
        assert_eq!(
            read("[package.metadata.wasm-pack.profile.release]\nwasm-opt = false").unwrap(),
            None
        );
        assert_eq!(
            read("[package.metadata.wasm-pack.profile.release]\nwasm-opt = true").unwrap(),
            Some(vec!["-O".to_owned()])
        );
        assert!(read("[package.metadata.wasm-pack.profile.release]\nwasm-opt = 3").is_err());
    }

    #[test]
    fn first_error_is_the_first_compiler_block() {
        let stderr = "   Compiling lab v0.1.0\nwarning: unused\n\nerror[E0425]: cannot find value `x`\n --> src/lib.rs:3:5\n  |\n3 |     x\n  |     ^ not found\n\nerror: aborting due to 1 previous error\n";
        assert_eq!(
            first_error(stderr),
            "error[E0425]: cannot find value `x`\n --> src/lib.rs:3:5\n  |\n3 |     x\n  |     ^ not found"
        );
    }

    #[test]
    fn without_an_error_block_the_tail_is_kept() {
        assert_eq!(first_error("a\nb\nlinker failed"), "a\nb\nlinker failed");
    }
}
