//! Lab crate → deployable Worker, byte for byte the module `worker-build` 0.8.7 makes with the
//! lab's `wrangler.toml` command (`tests/deploy_parity.rs` proves it for every Worker lab).
//!
//! Why not run worker-build itself: it is another ~2-minute `cargo install` on a fresh machine,
//! it would run wasm-opt again on every build (the checker caches it), and its shim hides the
//! instance from us. So the checker runs worker-build's steps with worker-build's flags:
//! `cargo build --lib` (`cargo.rs`), wasm-bindgen (`bindgen.rs`), wasm-opt as the crate's
//! wasm-pack profile table asks, with worker-build's defaults (`wasm_pack.rs`, `wasm_opt.rs`),
//! and the producers entry (`producers.rs`). It grades through an entry module it owns
//! (`harness/entry.mjs`), which re-creates the instance after a panic as worker-build's shim
//! does and can read linear memory; `deploy.rs` makes worker-build's own `build/index.js` when
//! the upload itself is measured.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::bootstrap::{Tools, WASM_TARGET};
use crate::course::{CrateRef, Lab};
use crate::processes;
use crate::report::{FailureKind, Location};

mod bindgen;
mod cargo;
mod deploy;
mod diagnostics;
mod heap_meter;
mod producers;
mod wasm_opt;
mod wasm_pack;

use bindgen::bindgen;
pub use bindgen::BindgenMismatch;
pub use cargo::{build_timeout, build_with_names, package_args};
use cargo::{cargo_build, touch};
pub use deploy::{bundle, run_esbuild, Deployment};
pub use diagnostics::{
    compile_failure, error_location, failure_in_output, first_error, span_location,
};
pub use heap_meter::HeapMeter;
pub use producers::WORKERS_RS_SDK;
pub use wasm_opt::deployed_flags;
pub use wasm_pack::{DeploySettings, MetadataTable};

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
    /// Whether the module counts its live heap bytes (and why not).
    pub heap_meter: HeapMeter,
    /// The whole upload as `wrangler deploy --dry-run` reports it, when grading measured it
    /// (labs graded on size; see `grading`).
    pub upload: Option<crate::wrangler::Upload>,
    /// This run's directory; removed when the artefact is dropped.
    dir: PathBuf,
    /// cargo's module, before wasm-bindgen: what `deploy::bundle` binds again for the
    /// deployed JS.
    cargo_wasm: PathBuf,
    /// The wasm-bindgen flags the crate's wasm-pack profile table asks for.
    bindgen_flags: Vec<String>,
}

impl Artefact {
    /// The files of a Worker already bound in `dir` (`index.js`, `index_bg.wasm`), as an
    /// artefact that owns the directory: for tests that grade a module made by hand (or
    /// replay a recording, whose replies say whether the meter was there).
    pub fn in_dir(dir: PathBuf) -> Self {
        Artefact {
            entry: dir.join("entry.mjs"),
            wasm: dir.join("index_bg.wasm"),
            bound: dir.join("index_bg.wasm"),
            heap_meter: HeapMeter::BuiltIn,
            upload: None,
            cargo_wasm: dir.join("index_bg.wasm"),
            bindgen_flags: Vec::new(),
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

pub fn build(
    root: &Path,
    lab: &Lab,
    krate: &CrateRef,
    tools: &Tools,
) -> Result<Artefact, BuildError> {
    let (mut wasm, mut compiled, heap_meter) = heap_meter::build(root, lab, krate)?;
    let record = provenance_file(root, krate);
    if !compiled && std::fs::read_to_string(&record).ok() != provenance(root, &wasm) {
        // Cargo calls the module fresh, but the checker did not see this checkout build it:
        // another checkout sharing the target directory may have written the same file name
        // (cargo keys freshness by package, not by path). Rebuild rather than grade theirs.
        touch(&root.join(&krate.dir).join("src/lib.rs")).map_err(BuildError::Tool)?;
        (wasm, compiled) = cargo_build(root, &lab.worker.profile, krate, heap_meter.features())?;
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
    bindgen(root, krate, &lab.worker.profile, &wasm, heap_meter, tools).map_err(BuildError::Tool)
}

/// The crate built as `wrangler deploy` builds it: like `build`, but never with the heap
/// meter (a memory lab is graded with the course probe's counting allocator, which the
/// deployed Worker does not have).
pub fn build_deployed(
    root: &Path,
    lab: &Lab,
    krate: &CrateRef,
    tools: &Tools,
) -> Result<Artefact, BuildError> {
    let unmetered = Lab {
        memory: None,
        ..lab.clone()
    };
    build(root, &unmetered, krate, tools)
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
