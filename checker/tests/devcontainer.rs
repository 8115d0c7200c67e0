//! The dev container (`.devcontainer/`, what a Codespace opens): its `devcontainer.json` is
//! valid per the Development Container Specification's schema (vendored in
//! `checker/devcontainer-schema/`), and its post-create script prepares a fresh clone so that
//! `just check lab-0` grades. A container cannot be started here; the script is what it runs.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

fn devcontainer(root: &Path) -> Value {
    let text = std::fs::read_to_string(root.join(".devcontainer/devcontainer.json")).unwrap();
    // The spec allows comments (JSONC); the course's file has none, so a JSON parser reads it.
    serde_json::from_str(&text).expect("devcontainer.json is plain JSON")
}

#[test]
fn devcontainer_json_is_valid_per_the_spec_schema() {
    let root = common::repo_root();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.join("checker/devcontainer-schema/devContainer.base.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the vendored schema compiles");
    let config = devcontainer(&root);
    let errors: Vec<String> = validator
        .iter_errors(&config)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "devcontainer.json: {errors:#?}");

    // The schema cannot say what the course needs: Node 22+, the post-create script, and the
    // repository's .tools/bin (where it puts `just`) on PATH.
    let node = config["features"]["ghcr.io/devcontainers/features/node:1"]["version"]
        .as_str()
        .unwrap();
    assert!(node.parse::<u32>().is_ok_and(|major| major >= 22), "{node}");
    assert_eq!(
        config["postCreateCommand"],
        "bash .devcontainer/post-create.sh"
    );
    assert!(config["remoteEnv"]["PATH"]
        .as_str()
        .unwrap()
        .starts_with("${containerWorkspaceFolder}/.tools/bin:"));

    // A change the schema refuses is caught: a misspelt property.
    let mut broken = config.clone();
    broken["postCreateComand"] = Value::from("true");
    assert!(
        !validator.is_valid(&broken),
        "the schema refuses unknown properties"
    );
}

/// The post-create script on a fresh clone of the committed tree. The clone shares this
/// checkout's build cache (CARGO_TARGET_DIR) and its checker tools (.tools/, node_modules/,
/// hard-linked, as CI restores a cache); `just` is installed by the script itself.
#[test]
fn post_create_prepares_a_fresh_clone_for_just_check() {
    let root = common::repo_root();
    common::ensure_tools();
    let scratch = tempfile::tempdir().unwrap();
    let clone = scratch.path().join("course");
    let cloned = Command::new("git")
        .args(["clone", "--quiet"])
        .arg(&root)
        .arg(&clone)
        .output()
        .unwrap();
    assert!(cloned.status.success(), "{cloned:?}");
    for cache in ["node_modules", ".tools/bin", ".tools/node"] {
        let from = root.join(cache);
        if from.exists() {
            std::fs::create_dir_all(clone.join(cache).parent().unwrap()).unwrap();
            // Hard links where the file system allows them, a copy where it does not.
            let copied = ["-al", "-a"].iter().any(|how| {
                Command::new("cp")
                    .arg(how)
                    .arg(&from)
                    .arg(clone.join(cache))
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            });
            assert!(copied, "cannot copy {cache}");
        }
    }
    // `just` comes from the script, not from the cache.
    let _ = std::fs::remove_file(clone.join(".tools/bin/just"));
    let target = root.join("target");
    let created = Command::new("bash")
        .arg(".devcontainer/post-create.sh")
        .current_dir(&clone)
        .env("CARGO_TARGET_DIR", &target)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = common::output_text(&created);
    assert!(created.status.success(), "post-create failed:\n{log}");
    assert!(log.contains("Ready: run `just check lab-0`"), "{log}");

    // As in the container: .tools/bin first on PATH, then `just check lab-0`.
    let path = format!(
        "{}:{}",
        clone.join(".tools/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let graded = Command::new("just")
        .args(["check", "lab-0", "--format", "json"])
        .current_dir(&clone)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", &target)
        .env("CHECKER_STATE", scratch.path().join("state.json"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // The starting point is graded, and fails (1), as a lab as shipped does; 2 would mean it
    // could not be graded.
    assert_eq!(
        graded.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&graded.stderr)
    );
    let report = common::json_report(&graded);
    assert_eq!(report["lab"], "lab-0");
    assert_eq!(
        common::check(&report, "build")["status"],
        "pass",
        "{report:#}"
    );
}
