//! The versions a result was produced with (the report's `environment`).

use std::path::Path;
use std::process::Command;

/// First line a command prints for `--version`, or `missing`.
pub fn version_of(program: &str, root: &Path) -> String {
    Command::new(program)
        .arg("--version")
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| "missing".to_owned())
}
