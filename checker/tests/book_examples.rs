//! The book's own examples (`book/examples`, the code the concept pages include for topics no
//! lab covers) are tested three ways by `book/examples/test.sh`: natively, under Node with
//! wasm-bindgen-test, and in workerd through Miniflare. Here that script runs in the suite, so
//! a page cannot show code that no longer compiles or no longer does what the page says.

mod common;

use std::process::Command;

#[test]
fn the_books_examples_pass_natively_under_node_and_in_workerd() {
    let root = common::repo_root();
    // The script needs the tools a first check installs (wasm-bindgen-test-runner, Miniflare).
    common::ensure_tools();
    let run = Command::new("bash")
        .arg(root.join("book/examples/test.sh"))
        .current_dir(&root)
        .output()
        .expect("cannot run book/examples/test.sh");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "book/examples/test.sh failed:\n{log}");
    // Each stage ran tests and they passed: the script exiting 0 is not enough.
    let stages = [
        "== natively",
        "== in Node, with wasm-bindgen-test",
        "== in workerd, through Miniflare",
    ];
    for (i, stage) in stages.iter().enumerate() {
        let start = log
            .find(stage)
            .unwrap_or_else(|| panic!("stage `{stage}` did not run:\n{log}"));
        let end = stages
            .get(i + 1)
            .and_then(|next| log.find(next))
            .unwrap_or(log.len());
        let section = &log[start..end];
        let passed: u32 = section
            .lines()
            .filter_map(|l| {
                // cargo/wasm-bindgen-test: "test result: ok. 4 passed; …"; node --test: "# pass 4"
                l.strip_prefix("test result: ok. ")
                    .or_else(|| l.strip_prefix("# pass "))
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|n| n.parse::<u32>().ok())
            })
            .sum();
        assert!(passed > 0, "stage `{stage}` passed no tests:\n{section}");
    }
}
