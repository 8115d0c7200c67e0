//! The labs' own unit tests (pure logic such as the SQL read-only guard) run natively as
//! part of the suite: every solution passes them, and every starting point whose manifest
//! says its tests fail as shipped (`unit_tests_fail`) does fail them, so a regression in a
//! solution or a lab that passes by accident fails CI even before grading.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// One crate named by a manifest: its package, directory and manifest flags.
struct Crate {
    package: String,
    dir: PathBuf,
    unit_tests_fail: bool,
}

/// The `[lab]` or `[solution]` crate of every lab manifest.
fn crates(side: &str) -> Vec<Crate> {
    let manifests = root().join("checker/labs");
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(&manifests).unwrap().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("lab.toml")) else {
            continue;
        };
        let manifest: toml::Value = toml::from_str(&text).unwrap();
        let side = &manifest[side];
        crates.push(Crate {
            package: side["package"].as_str().unwrap().to_owned(),
            dir: root().join(side["dir"].as_str().unwrap()),
            unit_tests_fail: side
                .get("unit_tests_fail")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false),
        });
    }
    assert!(
        !crates.is_empty(),
        "no lab manifests in {}",
        manifests.display()
    );
    crates
}

/// `cargo test --lib` for the crate: `-p` for a workspace member, `--manifest-path` for a
/// crate that is its own workspace; one shared target directory either way.
fn unit_tests(krate: &Crate) -> Output {
    let manifest = krate.dir.join("Cargo.toml");
    let standalone = std::fs::read_to_string(&manifest)
        .unwrap()
        .parse::<toml::Table>()
        .unwrap()
        .contains_key("workspace");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root()).args(["test", "--quiet", "--lib"]);
    if standalone {
        cmd.arg("--manifest-path").arg(&manifest);
        cmd.env("CARGO_TARGET_DIR", root().join("target"));
    } else {
        cmd.args(["-p", &krate.package]);
    }
    cmd.output().unwrap()
}

#[test]
fn every_starting_point_that_should_fails_its_unit_tests() {
    for krate in crates("lab").iter().filter(|c| c.unit_tests_fail) {
        let output = unit_tests(krate);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !output.status.success() && stdout.contains("test result: FAILED"),
            "the unit tests of {} should compile and fail as shipped:\n{stdout}\n{}",
            krate.package,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn every_solution_passes_its_own_unit_tests() {
    for krate in crates("solution") {
        let output = unit_tests(&krate);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "the unit tests of {} failed:\n{stdout}\n{}",
            krate.package,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("test result: ok"),
            "{} ran no tests:\n{stdout}",
            krate.package
        );
    }
}
