//! The labs' own unit tests (pure logic such as the SQL read-only guard) run natively as
//! part of the suite: every solution passes them, and every starting point fails them, so a
//! regression in a solution or a lab that passes by accident fails CI even before grading.

use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The `[lab]` or `[solution]` package of every lab manifest.
fn packages(side: &str) -> Vec<String> {
    let manifests = root().join("checker/labs");
    let mut packages = Vec::new();
    for entry in std::fs::read_dir(&manifests).unwrap().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("lab.toml")) else {
            continue;
        };
        let manifest: toml::Value = toml::from_str(&text).unwrap();
        packages.push(manifest[side]["package"].as_str().unwrap().to_owned());
    }
    packages
}

fn unit_tests(package: &str) -> Output {
    Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["test", "--quiet", "-p", package, "--lib"])
        .output()
        .unwrap()
}

#[test]
fn every_starting_point_fails_its_unit_tests() {
    for package in packages("lab") {
        let output = unit_tests(&package);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            !output.status.success() && stdout.contains("test result: FAILED"),
            "`cargo test -p {package} --lib` should compile and fail as shipped:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn every_solution_passes_its_own_unit_tests() {
    let packages = packages("solution");
    let manifests = root().join("checker/labs");
    assert!(
        !packages.is_empty(),
        "no lab manifests found in {}",
        manifests.display()
    );
    for package in packages {
        let output = unit_tests(&package);
        assert!(
            output.status.success(),
            "`cargo test -p {package} --lib` failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("test result: ok"),
            "{package} ran no tests:\n{stdout}"
        );
    }
}
