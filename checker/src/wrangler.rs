//! Running the real deploy tools the course's way: worker-build (through each lab's
//! `wrangler.toml` build command) and the pinned wrangler, offline, with the course's pinned
//! wasm-bindgen, wasm-opt and esbuild, and with wrangler's telemetry off. The deploy parity
//! test, `cargo lab dev` and the upload figure of `cargo lab size` all start them from here.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bootstrap::{tools_dir, Tools};
use crate::pipeline::target_dir;

/// The environment worker-build and wrangler get from the course.
///
/// - `WASM_BINDGEN_BIN`, `WASM_OPT_BIN`, `ESBUILD_BIN`: worker-build's overrides (its
///   `binary.rs`), so it uses the course's pins instead of downloading its own from GitHub.
/// - `CARGO_TARGET_DIR`: the checker's, so a crate the checker built is not built again.
/// - `CARGO_INSTALL_ROOT` and `PATH`: the build command's `cargo install worker-build` finds
///   the course's copy in `.tools/` and does nothing, and `worker-build` runs that copy.
/// - `CARGO_NET_OFFLINE`: the build needs no network once the crates are fetched.
/// - `WRANGLER_SEND_METRICS`, `WRANGLER_SEND_ERROR_REPORTS`: no telemetry from the course;
///   `CLOUDFLARE_CF_FETCH_ENABLED`: Miniflare does not fetch `request.cf` data.
pub fn environment(root: &Path, tools: &Tools) -> Vec<(&'static str, OsString)> {
    let node_dir = tools
        .node
        .canonicalize()
        .ok()
        .and_then(|node| node.parent().map(Path::to_path_buf));
    let mut path: Vec<PathBuf> = vec![tools_dir(root).join("bin")];
    path.extend(node_dir);
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    vec![
        ("WASM_BINDGEN_BIN", tools.wasm_bindgen.clone().into()),
        (
            "WASM_OPT_BIN",
            root.join("node_modules/binaryen/bin/wasm-opt").into(),
        ),
        ("ESBUILD_BIN", root.join("node_modules/.bin/esbuild").into()),
        ("CARGO_TARGET_DIR", target_dir(root).into()),
        ("CARGO_INSTALL_ROOT", tools_dir(root).into()),
        ("CARGO_NET_OFFLINE", "true".into()),
        ("PATH", std::env::join_paths(path).unwrap_or_default()),
        ("WRANGLER_SEND_METRICS", "false".into()),
        ("WRANGLER_SEND_ERROR_REPORTS", "false".into()),
        ("CLOUDFLARE_CF_FETCH_ENABLED", "false".into()),
    ]
}

/// Downloads every package of the crate's lockfile, once per crate directory and process, so that
/// the offline build above can start. worker-build begins with `cargo metadata`, which wants
/// every package in Cargo.lock, those of other platforms too (a Windows-only crate on Linux),
/// and a build never downloads those: on a machine whose cargo cache is new, the offline
/// build stops at the first one. `cargo fetch` gets them from crates.io; once they are all
/// there it uses no network and takes a fraction of a second.
pub fn fetch_crates(crate_dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    static FETCHED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let mut fetched = FETCHED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = crate_dir.to_path_buf();
    if fetched.contains(&dir) {
        return Ok(());
    }
    let out = Command::new("cargo")
        .arg("fetch")
        .current_dir(crate_dir)
        .env_remove("CARGO_NET_OFFLINE")
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run `cargo fetch`")?;
    anyhow::ensure!(
        out.status.success(),
        "`cargo fetch` failed in {} (worker-build's offline build needs every crate of Cargo.lock):\n{}",
        crate_dir.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    fetched.push(dir);
    Ok(())
}

/// `wrangler <args>` (the pinned one in node_modules, on the course's Node.js), run in a
/// crate's directory with the course's environment (its crates fetched first, see
/// [`fetch_crates`]; a failure is a note, and the offline build then says what is missing).
pub fn wrangler(root: &Path, tools: &Tools, crate_dir: &Path) -> Command {
    if let Err(e) = fetch_crates(crate_dir) {
        crate::steps::note(format!("{e:#}"));
    }
    let mut cmd = Command::new(&tools.node);
    cmd.arg(root.join("node_modules/wrangler/bin/wrangler.js"))
        .current_dir(crate_dir)
        .envs(environment(root, tools));
    cmd
}

/// The whole upload as `wrangler deploy` reports it ("Total Upload: … KiB / gzip: … KiB"):
/// the module plus wrangler's own esbuild bundle of `index.js`, and one gzip (zlib level 6)
/// of them together. (Cloudflare's script limit is 64 MiB uncompressed since 2026-09;
/// wrangler 4.86 still colours the gzip figure against the old 3 MB limit.)
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    /// The `.wasm` module, bytes.
    pub wasm_bytes: u64,
    /// wrangler's bundle of the entry module, bytes.
    pub js_bytes: u64,
    /// Both, in KiB, as wrangler prints them.
    pub total_kib: f64,
    /// One gzip of both, in KiB, as wrangler prints it.
    pub gzip_kib: f64,
}

/// The whole upload of a built Worker, with a progress step: bundled as worker-build does,
/// then measured by `measure_upload`. Shown, never graded, so a failure is a note and `None`.
pub fn upload_of(
    root: &Path,
    tools: &Tools,
    lab: &crate::course::Lab,
    krate: &crate::course::CrateRef,
    artefact: &crate::pipeline::Artefact,
) -> Option<Upload> {
    let step = crate::steps::step("asking `wrangler deploy --dry-run` what it would upload");
    let measured = crate::pipeline::bundle(root, artefact, tools).and_then(|deployment| {
        measure_upload(
            root,
            tools,
            &krate.package,
            &deployment,
            &lab.worker.compatibility_date,
        )
    });
    step.done();
    measured
        .map_err(|e| crate::steps::note(format!("could not measure the whole upload: {e:#}")))
        .ok()
}

/// Reads wrangler's "Total Upload: 385.70 KiB / gzip: 119.20 KiB" line.
pub fn parse_total_upload(stdout: &str) -> Option<(f64, f64)> {
    let line = stdout
        .lines()
        .find_map(|l| l.split("Total Upload:").nth(1))?;
    let mut numbers = line
        .split_whitespace()
        .filter_map(|word| word.parse::<f64>().ok());
    Some((numbers.next()?, numbers.next()?))
}

/// Runs `wrangler deploy --dry-run` on a Worker laid out as worker-build's `build/` (no build
/// command: the files are already made) and reads what it would upload. Kept under
/// `target/checker/<package>/upload/`, keyed by the two files, since wrangler takes seconds.
pub fn measure_upload(
    root: &Path,
    tools: &Tools,
    package: &str,
    deployment: &crate::pipeline::Deployment,
    compatibility_date: &str,
) -> anyhow::Result<Upload> {
    use anyhow::Context;
    use sha2::{Digest, Sha256};
    let js = std::fs::read(&deployment.js)?;
    let wasm = std::fs::read(&deployment.wasm)?;
    let key = hex::encode(
        &Sha256::new()
            .chain_update((js.len() as u64).to_le_bytes())
            .chain_update(&js)
            .chain_update(&wasm)
            .chain_update(compatibility_date)
            .finalize()[..16],
    );
    let cache = target_dir(root)
        .join("checker")
        .join(package)
        .join("upload")
        .join(format!("{key}.json"));
    if let Some(upload) = std::fs::read(&cache)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        return Ok(upload);
    }
    // The configuration sits where a crate's would, next to `build/`.
    let dir = deployment
        .js
        .parent()
        .and_then(Path::parent)
        .context("the deployment has no directory")?;
    std::fs::write(
        dir.join("wrangler.toml"),
        format!(
            "name = \"{package}\"\nmain = \"build/index.js\"\ncompatibility_date = \"{compatibility_date}\"\n"
        ),
    )?;
    let outdir = dir.join("upload");
    let run = wrangler(root, tools, dir)
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(&outdir)
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run wrangler")?;
    let stdout = String::from_utf8_lossy(&run.stdout);
    anyhow::ensure!(
        run.status.success(),
        "wrangler deploy --dry-run failed:\n{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (total_kib, gzip_kib) = parse_total_upload(&stdout)
        .with_context(|| format!("no \"Total Upload\" line in wrangler's output:\n{stdout}"))?;
    let upload = Upload {
        wasm_bytes: wasm.len() as u64,
        js_bytes: std::fs::metadata(outdir.join("index.js"))
            .context("wrangler wrote no index.js")?
            .len(),
        total_kib,
        gzip_kib,
    };
    if let Some(parent) = cache.parent() {
        let _ = std::fs::create_dir_all(parent);
        let _ = std::fs::write(&cache, serde_json::to_vec(&upload)?);
    }
    Ok(upload)
}

#[cfg(test)]
mod tests {
    use super::parse_total_upload;

    #[test]
    fn reads_wrangler_s_total_upload_line() {
        let out = "Attaching additional modules:\n…\nTotal Upload: 385.70 KiB / gzip: 119.20 KiB\n--dry-run: exiting now.";
        assert_eq!(parse_total_upload(out), Some((385.70, 119.20)));
        assert_eq!(parse_total_upload("nothing here"), None);
    }
}
