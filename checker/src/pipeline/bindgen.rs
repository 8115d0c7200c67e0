//! wasm-bindgen: the module bound for Workers, and the check that the crate was built
//! against the wasm-bindgen the course's CLI is.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use super::producers::{with_sdk_entry, WORKERS_RS_SDK};
use super::wasm_opt::optimise_cached;
use super::wasm_pack::DeploySettings;
use super::{run_dir, target_dir, Artefact, HeapMeter};
use crate::bootstrap::Tools;
use crate::course::CrateRef;
use crate::report::Location;

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

/// What every deployed build passes to wasm-bindgen besides the module and the output
/// directory: worker-build 0.8.7's fixed arguments (`--target module` aside, see `bindgen`)
/// and the two it adds for panic recovery (its `main.rs`).
pub(super) const BINDGEN_FLAGS: &[&str] = &[
    "--no-typescript",
    "--out-name",
    "index",
    "--experimental-reset-state-function",
    "--force-enable-abort-handler",
];

/// wasm-bindgen, then wasm-opt and the producers entry, as worker-build does them: the
/// module in the returned artefact is byte for byte worker-build's `build/index_bg.wasm`.
/// The JS glue is wasm-bindgen's `--target web` output, which the checker's own entry
/// module (`harness/entry.mjs`) drives; worker-build asks for `--target module`, which
/// writes the same `.wasm` (the deploy parity test proves it) and other JS, bundled by
/// `deploy::bundle` when the upload itself is wanted.
pub(super) fn bindgen(
    root: &Path,
    krate: &CrateRef,
    profile: &str,
    cargo_wasm: &Path,
    heap_meter: HeapMeter,
    tools: &Tools,
) -> Result<Artefact> {
    let settings = DeploySettings::read(&root.join(&krate.dir).join("Cargo.toml"), profile)?;
    let dir = run_dir(&target_dir(root).join("checker").join(&krate.package))?;
    run_bindgen(tools, cargo_wasm, &dir, "web", &settings.bindgen_flags)?;
    let entry = dir.join("entry.mjs");
    std::fs::copy(root.join("checker/harness/entry.mjs"), &entry)
        .context("cannot write the entry module")?;
    let wasm = dir.join("index_bg.wasm");
    let mut bound = wasm.clone();
    if let Some(flags) = &settings.wasm_opt {
        bound = dir.join("bound.wasm.keep");
        std::fs::copy(&wasm, &bound).context("cannot keep wasm-bindgen's output")?;
        optimise_cached(root, krate, &wasm, flags)?;
    }
    let module = std::fs::read(&wasm).context("cannot read the bound module")?;
    let module = with_sdk_entry(&module, WORKERS_RS_SDK)
        .with_context(|| format!("cannot add the producers entry to {}", wasm.display()))?;
    std::fs::write(&wasm, module).context("cannot write the deployed module")?;
    Ok(Artefact {
        wasm,
        bound,
        entry,
        heap_meter,
        upload: None,
        dir,
        cargo_wasm: cargo_wasm.to_path_buf(),
        bindgen_flags: settings.bindgen_flags,
    })
}

/// Runs the course's wasm-bindgen CLI on cargo's module into `out_dir`.
pub(super) fn run_bindgen(
    tools: &Tools,
    cargo_wasm: &Path,
    out_dir: &Path,
    target: &str,
    profile_flags: &[String],
) -> Result<()> {
    let output = Command::new(&tools.wasm_bindgen)
        .arg(cargo_wasm)
        .arg("--out-dir")
        .arg(out_dir)
        .args(["--target", target])
        .args(BINDGEN_FLAGS)
        .args(profile_flags)
        .output()
        .with_context(|| format!("cannot run {}", tools.wasm_bindgen.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "wasm-bindgen failed on {}:\n{}",
            cargo_wasm.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
