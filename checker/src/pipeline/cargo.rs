//! `cargo build` of a lab crate for wasm32: its own process group, a timeout, the
//! compiler's messages as they come.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::diagnostics::first_error;
use super::{target_dir, BuildError};
use crate::bootstrap::WASM_TARGET;
use crate::course::{CrateRef, Lab};
use crate::processes;

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

/// Builds the crate with these cargo features; returns the module and whether rustc produced
/// it in this run (false when cargo found it fresh).
pub(super) fn cargo_build(
    root: &Path,
    profile: &str,
    krate: &CrateRef,
    features: &[&str],
) -> Result<(PathBuf, bool), BuildError> {
    cargo_build_in(root, profile, krate, &target_dir(root), features, &[], &[])
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
    // A package override (`[profile.worker.package.<name>] strip = true`, as lab 4's reference
    // solution has) is not reached by the variable; a `--config` profile is, and wins over the
    // manifest's.
    let package_override = format!(
        "profile.{}.package.{}.strip=\"debuginfo\"",
        lab.worker.profile, krate.package
    );
    cargo_build_in(
        root,
        &lab.worker.profile,
        krate,
        &target,
        &[],
        &[(variable, "debuginfo".into())],
        &["--config".into(), package_override],
    )
    .map(|(wasm, _)| wasm)
}

fn cargo_build_in(
    root: &Path,
    profile: &str,
    krate: &CrateRef,
    target: &Path,
    features: &[&str],
    env: &[(String, String)],
    args: &[String],
) -> Result<(PathBuf, bool), BuildError> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root)
        .args([
            "build",
            "--lib",
            "--profile",
            profile,
            "--target",
            WASM_TARGET,
            // Diagnostics rendered as usual on stderr; artefact records as JSON on stdout.
            "--message-format=json-render-diagnostics",
        ])
        .args(package_args(root, krate))
        .args(features.iter().flat_map(|f| ["--features", f]))
        .args(args)
        // A standalone crate would otherwise build into a target directory of its own.
        .env("CARGO_TARGET_DIR", target)
        // What worker-build 0.8.7 sets (its `cargo_build_wasm`): the #[wasm_bindgen] macro
        // reads it while expanding, so without it the module is not the deployed one.
        .env("WASM_BINDGEN_USE_JS_SYS", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("CARGO_TERM_COLOR", "never");
    // A build that never ends (a build script or proc macro in a loop) is stopped, group and
    // all, after the timeout: graded as a build error, not a hang.
    let limit = build_timeout();
    let run = processes::output_within(&mut cmd, limit)
        .context("cannot run cargo")
        .map_err(BuildError::Tool)?;
    if run.timed_out {
        return Err(BuildError::TimedOut { limit });
    }
    let output = run.output;
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

/// How long one cargo build may take: 20 minutes (a first build of a lab takes one or two on
/// two cores), or `CHECKER_BUILD_TIMEOUT` seconds.
pub fn build_timeout() -> std::time::Duration {
    let secs = std::env::var("CHECKER_BUILD_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20 * 60);
    std::time::Duration::from_secs(secs)
}

pub(super) fn touch(file: &Path) -> Result<()> {
    std::fs::File::options()
        .append(true)
        .open(file)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        .with_context(|| format!("cannot update the time stamp of {}", file.display()))
}
