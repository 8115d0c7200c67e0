//! `checker doctor` on this checkout (everything there, exit 0) and on a course copy that lacks
//! the repo-local tools (no `.tools/`: no wasm-bindgen-cli) and, separately, a PATH without
//! Node: each missing piece is named with the exact command that fixes it, exit 1.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn doctor(course: &Path, path: Option<&std::ffi::OsStr>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_checker"));
    cmd.arg("doctor")
        .env("COURSE_ROOT", course)
        .current_dir(course);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().expect("cannot run checker doctor")
}

/// The files doctor reads, and node_modules, but no `.tools/`.
fn copy_without_tools() -> tempfile::TempDir {
    let root = root();
    let copy = tempfile::tempdir().unwrap();
    for file in [
        "Cargo.lock",
        "package.json",
        "package-lock.json",
        "rust-toolchain.toml",
    ] {
        std::fs::copy(root.join(file), copy.path().join(file)).unwrap();
    }
    std::os::unix::fs::symlink(root.join("node_modules"), copy.path().join("node_modules"))
        .unwrap();
    copy
}

#[test]
fn doctor_names_a_missing_wasm_bindgen_and_the_command_that_installs_it() {
    // The real checkout first: the suite installed everything (`checker setup`).
    common::ensure_tools();
    let here = doctor(&root(), None);
    let text = String::from_utf8_lossy(&here.stdout);
    assert_eq!(here.status.code(), Some(0), "{text}");
    assert!(
        text.contains("✔ wasm-bindgen-cli") && text.contains("✔ npm miniflare"),
        "{text}"
    );

    let copy = copy_without_tools();
    let out = doctor(copy.path(), None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text
        .lines()
        .position(|l| l.contains("✘ wasm-bindgen-cli"))
        .unwrap_or_else(|| panic!("wasm-bindgen-cli not reported missing:\n{text}"));
    assert!(
        text.lines()
            .nth(line)
            .unwrap()
            .contains("missing (.tools/bin/wasm-bindgen)"),
        "{text}"
    );
    assert_eq!(
        text.lines().nth(line + 1).unwrap().trim(),
        "fix: cargo lab setup",
        "{text}"
    );
    assert!(
        text.contains("✔ npm miniflare"),
        "node_modules is there:\n{text}"
    );
}

#[test]
fn doctor_names_a_missing_node() {
    // A PATH with the Rust tools and nothing else.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["cargo", "rustc", "rustup"] {
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{tool} is not on PATH"));
        std::os::unix::fs::symlink(found, bin.path().join(tool)).unwrap();
    }
    let out = doctor(&root(), Some(bin.path().as_os_str()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✘ Node.js") && text.contains("not on PATH"),
        "{text}"
    );
    assert!(text.contains("fix: install Node.js 22+"), "{text}");
}
