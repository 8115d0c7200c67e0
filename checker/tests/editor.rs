//! rust-analyzer works in every lab out of the box: `.vscode/settings.json` links every Cargo
//! workspace of the repository (the root one and each crate that is a workspace of its own),
//! and `cargo metadata` — what rust-analyzer loads a project with — succeeds for each.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every Cargo.toml with a `[workspace]` table, outside build output.
fn workspaces(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.')
            || ["target", "node_modules", "book"].contains(&name.as_str()) && dir == root
        {
            continue;
        }
        if path.is_dir() {
            workspaces(&path, root, out);
        } else if name == "Cargo.toml" {
            let text = std::fs::read_to_string(&path).unwrap();
            if text
                .parse::<toml::Table>()
                .unwrap()
                .contains_key("workspace")
            {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
}

#[test]
fn rust_analyzer_is_told_about_every_workspace_and_each_loads() {
    let root = root();
    let settings = std::fs::read_to_string(root.join(".vscode/settings.json")).unwrap();
    // JSON with comments: drop the comment lines.
    let json: String = settings
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let settings: serde_json::Value = serde_json::from_str(&json).unwrap();
    let linked: Vec<String> = settings["rust-analyzer.linkedProjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let mut found = Vec::new();
    workspaces(&root, &root, &mut found);
    found.push("book/examples/Cargo.toml".into());
    for workspace in &found {
        assert!(
            linked.contains(workspace),
            "{workspace} is a workspace rust-analyzer is not told about"
        );
    }
    for project in &linked {
        let out = Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(root.join(project))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cargo metadata fails for {project}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
