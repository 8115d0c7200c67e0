//! The reference solutions' own unit tests (pure logic such as the SQL read-only guard) run
//! natively as part of the suite, so a regression there fails CI even before grading.

use std::path::Path;
use std::process::Command;

#[test]
fn every_solution_passes_its_own_unit_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let manifests = root.join("checker/labs");
    let mut packages = Vec::new();
    for entry in std::fs::read_dir(&manifests).unwrap().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("lab.toml")) else {
            continue;
        };
        let manifest: toml::Value = toml::from_str(&text).unwrap();
        packages.push(manifest["solution"]["package"].as_str().unwrap().to_owned());
    }
    assert!(
        !packages.is_empty(),
        "no lab manifests found in {}",
        manifests.display()
    );
    for package in packages {
        let output = Command::new(env!("CARGO"))
            .current_dir(root)
            .args(["test", "--quiet", "-p", &package, "--lib"])
            .output()
            .unwrap();
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
