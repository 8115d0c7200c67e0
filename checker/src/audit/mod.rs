//! `checker audit [PATH]`: will this crate build and run on wasm32 in Workers? Builds it for
//! wasm32, names every dependency that breaks with the path that brings it in (`cargo tree
//! -i`) and the known fix, and points at std APIs in its sources that compile but fail at
//! run time in a Worker.

pub mod knowledge;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::bootstrap::WASM_TARGET;

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The crate or API.
    pub name: String,
    pub kind: Kind,
    /// Where: the dependency path from the root, or `file:line`.
    pub location: String,
    pub why: String,
    pub fix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Fails to compile for wasm32.
    Compile,
    /// Compiles, fails when called in a Worker.
    Runtime,
}

pub struct Audit {
    pub package: String,
    /// Whether `cargo build --target wasm32-unknown-unknown` succeeded.
    pub builds: bool,
    /// The compiler's first error, when the build failed for a reason not in the table.
    pub first_error: Option<String>,
    pub findings: Vec<Finding>,
}

/// Audits the crate in `dir` with the course's toolchain (`toolchain`, the channel of the
/// course's rust-toolchain.toml, which has the wasm32 target), whatever `dir` itself pins.
pub fn run(dir: &Path, target_dir: &Path, toolchain: &str) -> Result<Audit> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("{} is not a crate (no Cargo.toml)", dir.display()))?;
    let package = text
        .parse::<toml::Table>()?
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("?")
        .to_owned();
    let output = cargo(&manifest, target_dir, toolchain)
        .args(["build", "--lib", "--keep-going", "--target", WASM_TARGET])
        .output()
        .context("cannot run cargo")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut findings = Vec::new();
    let broken = broken_crates(&stderr);
    for name in &broken {
        let (why, fix) = match knowledge::crate_fact(name) {
            Some(f) => (f.why.to_owned(), f.fix.to_owned()),
            None => (
                "it does not compile for wasm32-unknown-unknown".to_owned(),
                "check whether it has a wasm feature, or replace it".to_owned(),
            ),
        };
        findings.push(Finding {
            name: name.clone(),
            kind: Kind::Compile,
            location: dependency_path(&manifest, target_dir, toolchain, name)
                .unwrap_or_else(|| "(path unknown)".into()),
            why,
            fix,
        });
    }
    findings.extend(runtime_traps(&dir.join("src"))?);
    let builds = output.status.success();
    let first_error = (!builds && broken.is_empty()).then(|| crate::pipeline::first_error(&stderr));
    Ok(Audit {
        package,
        builds,
        first_error,
        findings,
    })
}

/// cargo run in the crate's directory (so it finds the crate, standalone or a member), with
/// the course toolchain and the given target directory. Shared with the library-lab checks.
pub fn cargo_in(dir: &Path, target_dir: &Path, toolchain: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("--color=never")
        .env("CARGO_TARGET_DIR", target_dir)
        .env("RUSTUP_TOOLCHAIN", toolchain)
        .stdin(Stdio::null())
        .current_dir(dir);
    cmd
}

fn cargo(manifest: &Path, target_dir: &Path, toolchain: &str) -> Command {
    cargo_in(
        manifest.parent().unwrap_or(Path::new(".")),
        target_dir,
        toolchain,
    )
}

/// Crates cargo could not build: `error: could not compile `x`` and failed build scripts.
pub fn broken_crates(stderr: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in stderr.lines() {
        let name = line
            .strip_prefix("error: could not compile `")
            .or_else(|| line.strip_prefix("error: failed to run custom build command for `"))
            .and_then(|rest| rest.split(['`', ' ']).next());
        if let Some(name) = name {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The first chain from the root to `name`, from `cargo tree -i`, as "root → … → name".
fn dependency_path(
    manifest: &Path,
    target_dir: &Path,
    toolchain: &str,
    name: &str,
) -> Option<String> {
    let tree = |spec: &str| {
        cargo(manifest, target_dir, toolchain)
            .args([
                "tree",
                "-i",
                spec,
                "--target",
                WASM_TARGET,
                "-e",
                "normal",
                "--prefix",
                "depth",
            ])
            .output()
            .ok()
    };
    let output = tree(name)?;
    if let Some(path) = inverse_path(&String::from_utf8_lossy(&output.stdout)) {
        return Some(path);
    }
    // Several versions in the tree: cargo lists the exact specs (`getrandom@0.3.4`) to use.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let paths: Vec<String> = stderr
        .split_whitespace()
        .filter(|w| w.starts_with(&format!("{name}@")))
        .filter_map(|spec| {
            let out = tree(spec)?;
            inverse_path(&String::from_utf8_lossy(&out.stdout)).map(|p| format!("{p} ({spec})"))
        })
        .collect();
    (!paths.is_empty()).then(|| paths.join("; "))
}

/// From `cargo tree -i x --prefix depth` output ("0x v1", "1y v2", …), the first chain
/// that reaches a root, root first.
pub fn inverse_path(tree: &str) -> Option<String> {
    let mut chain: Vec<String> = Vec::new();
    let lines: Vec<(usize, String)> = tree
        .lines()
        .filter_map(|l| {
            let digits: String = l.chars().take_while(char::is_ascii_digit).collect();
            let depth = digits.parse().ok()?;
            let name = l[digits.len()..].split_whitespace().next()?.to_owned();
            Some((depth, name))
        })
        .collect();
    for (i, (depth, name)) in lines.iter().enumerate() {
        chain.truncate(*depth);
        chain.push(name.clone());
        let leaf = lines.get(i + 1).is_none_or(|(next, _)| next <= depth);
        if leaf {
            chain.reverse();
            return Some(chain.join(" → "));
        }
    }
    None
}

/// Uses of std/web APIs that compile for wasm32 and fail in a Worker, outside code gated
/// away from wasm32.
fn runtime_traps(src: &Path) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for file in rust_files(src) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let native_only = native_only_lines(&lines);
        for (i, line) in lines.iter().enumerate() {
            if native_only[i] {
                continue;
            }
            let code = line.split("//").next().unwrap_or("");
            for trap in knowledge::TRAPS {
                if code.contains(trap.pattern) {
                    findings.push(Finding {
                        name: trap.pattern.to_owned(),
                        kind: Kind::Runtime,
                        location: format!("{}:{}", file.display(), i + 1),
                        why: trap.why.to_owned(),
                        fix: trap.fix.to_owned(),
                    });
                }
            }
        }
    }
    Ok(findings)
}

/// Which lines belong to an item under `#[cfg(not(target_arch = "wasm32"))]`: from the
/// attribute to the end of the item it is on — the closing brace that matches the item's
/// first one, or its `;` when it has no braces (a `use`, a statement). A line scan, not a
/// parser: braces inside strings and other `cfg` forms (`cfg_if!`, `cfg!(…)`) are not
/// understood. Comments are ignored.
fn native_only_lines(lines: &[&str]) -> Vec<bool> {
    let mut gated = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let code = lines[i].split("//").next().unwrap_or("");
        if !(code.contains("#[cfg(") && code.contains("not(target_arch = \"wasm32\")")) {
            i += 1;
            continue;
        }
        // From the attribute to the end of its item.
        let mut depth = 0usize;
        let mut opened = false;
        let mut j = i;
        'item: while j < lines.len() {
            gated[j] = true;
            let code = lines[j].split("//").next().unwrap_or("");
            // The attribute line itself holds no part of the item.
            let body = if j == i {
                code.rsplit(']').next().unwrap_or("")
            } else {
                code
            };
            for c in body.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if opened && depth == 0 {
                            break 'item;
                        }
                    }
                    ';' if !opened => break 'item,
                    _ => {}
                }
            }
            j += 1;
        }
        i = j + 1;
    }
    gated
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_crates_are_read_from_cargos_errors() {
        let stderr = "   Compiling mio v1.0.4\nerror: could not compile `mio` (lib) due to 44 previous errors\nerror: failed to run custom build command for `ring v0.17.14`\nerror: could not compile `mio` (lib)\n";
        assert_eq!(broken_crates(stderr), ["mio", "ring"]);
    }

    #[test]
    fn the_inverse_tree_gives_the_path_from_the_root() {
        let tree = "0mio v1.0.4\n1tokio v1.48.0\n2lab-1-crate-audit v0.1.0 (/x)\n1other v0.1.0\n";
        assert_eq!(
            inverse_path(tree).unwrap(),
            "lab-1-crate-audit → tokio → mio"
        );
    }

    #[test]
    fn traps_are_found_unless_gated_away_from_wasm32() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("lib.rs"),
            "fn a() { let t = std::time::Instant::now(); }\n#[cfg(not(target_arch = \"wasm32\"))]\nfn b() { std::thread::sleep(d); }\n// std::fs::read in a comment\n",
        )
        .unwrap();
        let found = runtime_traps(dir.path()).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].name, "Instant::now");
        assert!(found[0].location.ends_with("lib.rs:1"));
    }

    #[test]
    fn a_native_only_item_is_skipped_to_its_closing_brace_however_long() {
        let dir = tempfile::tempdir().unwrap();
        let filler = "    let x = 1;\n".repeat(12);
        std::fs::write(
            dir.path().join("lib.rs"),
            format!(
                "#[cfg(not(target_arch = \"wasm32\"))]\nfn native() {{\n{filler}    if true {{ x(); }}\n    std::thread::sleep(d);\n}}\n\
                 #[cfg(not(target_arch = \"wasm32\"))]\nuse std::time::Instant;\n\
                 fn wasm_too() {{\n    std::thread::sleep(d);\n}}\n"
            ),
        )
        .unwrap();
        let found = runtime_traps(dir.path()).unwrap();
        assert_eq!(
            found.len(),
            1,
            "only the call outside the gated items: {found:?}"
        );
        assert!(found[0].location.ends_with(":21"), "{found:?}");
    }
}
