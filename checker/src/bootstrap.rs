//! First-use setup: everything the pipeline needs that a fresh clone lacks, installed into
//! the repository (never globally) with progress output. A second run finds it all and
//! does no work.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::progress;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
const MIN_NODE_MAJOR: u32 = 20;

/// Paths of the tools the pipeline runs.
#[derive(Debug, Clone)]
pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub wasm_bindgen_version: String,
    pub node: PathBuf,
}

/// Ignored, repo-local directory for installed tools (CI caches it).
pub fn tools_dir(root: &Path) -> PathBuf {
    root.join(".tools")
}

pub fn ensure(root: &Path) -> Result<Tools> {
    let _lock = FileLock::acquire(&tools_dir(root).join(".bootstrap.lock"))?;
    ensure_wasm_target(root)?;
    let node = ensure_node()?;
    ensure_npm_packages(root)?;
    let (wasm_bindgen, wasm_bindgen_version) = ensure_wasm_bindgen(root)?;
    Ok(Tools {
        wasm_bindgen,
        wasm_bindgen_version,
        node,
    })
}

fn ensure_wasm_target(root: &Path) -> Result<()> {
    let libdir = Command::new("rustc")
        .current_dir(root)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .context("cannot run `rustc`: install Rust with rustup (https://rustup.rs)")?;
    let dir = PathBuf::from(String::from_utf8_lossy(&libdir.stdout).trim());
    if libdir.status.success() && dir.is_dir() {
        return Ok(());
    }
    let step = progress::step(format!("adding the Rust target {WASM_TARGET} (one time)"));
    run(Command::new("rustup")
        .current_dir(root)
        .args(["target", "add", WASM_TARGET]))
    .with_context(|| {
        format!(
            "could not add the wasm target; run `rustup target add {WASM_TARGET}` and try again"
        )
    })?;
    step.done();
    Ok(())
}

fn ensure_node() -> Result<PathBuf> {
    let out = Command::new("node").arg("--version").output();
    let version = match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => bail!(
            "Node.js is not installed (or not on PATH). The checker runs your Worker in workerd \
             through Miniflare, which needs Node.js {MIN_NODE_MAJOR} or newer: install it \
             (https://nodejs.org or your package manager), then run the command again."
        ),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < MIN_NODE_MAJOR {
        bail!("Node.js {version} is too old: the checker needs Node.js {MIN_NODE_MAJOR} or newer. Upgrade it, then run the command again.");
    }
    Ok(PathBuf::from("node"))
}

/// Version of an npm package as recorded in `package-lock.json`.
fn locked_npm_version(root: &Path, package: &str) -> Result<String> {
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("package-lock.json"))
            .context("package-lock.json is missing")?,
    )?;
    lock["packages"][format!("node_modules/{package}")]["version"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("package-lock.json does not pin {package}"))
}

fn installed_npm_version(root: &Path, package: &str) -> Option<String> {
    let text =
        std::fs::read_to_string(root.join("node_modules").join(package).join("package.json"))
            .ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(str::to_owned)
}

fn ensure_npm_packages(root: &Path) -> Result<()> {
    let wanted = locked_npm_version(root, "miniflare")?;
    if installed_npm_version(root, "miniflare").as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    let step = progress::step(format!(
        "installing npm packages from package-lock.json (miniflare {wanted}, one time)"
    ));
    run(Command::new("npm")
        .current_dir(root)
        .args(["ci", "--no-audit", "--no-fund"]))
    .context(
        "`npm ci` failed; fix the error above, or run `npm ci` in the repository root yourself",
    )?;
    step.done();
    Ok(())
}

/// The wasm-bindgen version the workspace's `Cargo.lock` resolved: the CLI must equal it.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.lock")).context("Cargo.lock is missing")?;
    let lock: toml::Value = toml::from_str(&text).context("Cargo.lock is not valid TOML")?;
    lock.get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .find(|p| p.get("name").and_then(|n| n.as_str()) == Some("wasm-bindgen"))
        .and_then(|p| p.get("version")?.as_str().map(str::to_owned))
        .context("Cargo.lock has no wasm-bindgen package")
}

pub fn tool_version(program: &Path) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn ensure_wasm_bindgen(root: &Path) -> Result<(PathBuf, String)> {
    let wanted = locked_wasm_bindgen_version(root)?;
    let bin = tools_dir(root).join("bin").join("wasm-bindgen");
    // `wasm-bindgen --version` prints `wasm-bindgen 0.2.130`.
    if tool_version(&bin).is_some_and(|v| v.split_whitespace().last() == Some(wanted.as_str())) {
        return Ok((bin, wanted));
    }
    let step = progress::step(format!(
        "installing wasm-bindgen-cli {wanted} into .tools/ to match Cargo.lock (one time, about 2 minutes)"
    ));
    // No `--locked`: one of its pinned transitive versions is no longer in the index.
    run(Command::new("cargo").current_dir(root).args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &wanted,
        "--root",
    ]).arg(tools_dir(root)))
    .with_context(|| {
        format!("could not install wasm-bindgen-cli {wanted}; run `cargo install wasm-bindgen-cli --version {wanted} --root .tools` to see why")
    })?;
    step.done();
    Ok((bin, wanted))
}

/// Runs a command with its output shown on stderr (it is the progress; stdout may carry a
/// JSON report), failing on a non-zero exit.
fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} exited with {status}", cmd.get_program());
    }
    Ok(())
}

/// An exclusive advisory lock, so two checker runs do not install the same tool at once.
struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    fn acquire(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor we own; released when the file is closed.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            bail!("cannot lock {}", path.display());
        }
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wasm_bindgen_pin_from_cargo_lock() {
        let version = locked_wasm_bindgen_version(&crate::course::root()).unwrap();
        assert_eq!(
            version, "0.2.130",
            "TOOLCHAIN pins wasm-bindgen 0.2.130; update the book if this moves"
        );
    }

    #[test]
    fn package_lock_pins_the_runtime() {
        let root = crate::course::root();
        assert_eq!(
            locked_npm_version(&root, "miniflare").unwrap(),
            "4.20260426.0"
        );
        assert!(locked_npm_version(&root, "left-pad").is_err());
    }
}
