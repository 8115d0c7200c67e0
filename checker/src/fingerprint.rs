//! The versions a result was produced with (the report's `environment`), and the one way the
//! checker asks a program for its version (`setup`, `check` and `doctor` alike).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// What a command prints on stdout, trimmed, when it runs and succeeds.
pub fn stdout_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// What `program --version` prints, trimmed, or `None` when it does not run or fails. Run in
/// `dir` when given (rustc there obeys the directory's `rust-toolchain.toml`).
pub fn version(program: impl AsRef<OsStr>, dir: Option<&Path>) -> Option<String> {
    let mut cmd = Command::new(program);
    cmd.arg("--version");
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    stdout_of(&mut cmd)
}

/// First line a command prints for `--version`, or `missing`.
pub fn version_of(program: impl AsRef<OsStr>, root: &Path) -> String {
    version(program, Some(root))
        .and_then(|v| v.lines().next().map(|l| l.trim().to_owned()))
        .unwrap_or_else(|| "missing".to_owned())
}
