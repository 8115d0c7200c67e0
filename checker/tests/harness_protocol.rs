//! The Node harness's side of the checker–harness protocol (`checker/src/harness.rs`):
//! `node --test checker/harness/protocol.test.mjs` holds `run-worker.mjs` to the examples in
//! `checker/harness/protocol-examples.json`, which the checker's serde types are held to by
//! their unit tests. Needs Node.js (as the checker does), not the npm packages.

mod common;

use std::process::Command;

#[test]
fn the_harness_handles_and_writes_the_protocol_examples() {
    let root = common::repo_root();
    let out = Command::new(common::node())
        .args(["--test", "checker/harness/protocol.test.mjs"])
        .current_dir(&root)
        .output()
        .expect("cannot run node (the checker needs Node.js 20 or newer)");
    assert!(
        out.status.success(),
        "node --test checker/harness/protocol.test.mjs failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
