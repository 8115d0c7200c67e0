//! The student's loop around `check`: `list` shows each lab's state from the state file that
//! `check` writes, and `hint` gives tiered hints about what actually failed, one more each
//! time it is asked. The state file is a scratch one (`CHECKER_STATE`), not the checkout's.

use std::path::Path;
use std::process::{Command, Output};

fn checker(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .env("CHECKER_STATE", state)
        .output()
        .expect("cannot run the checker")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn list_and_hint_follow_the_last_grade() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    let before = stdout(&checker(&state, &["list"]));
    assert_eq!(before.matches("· not started").count(), 5, "{before}");
    assert!(before.contains("0 of 5 labs passing"), "{before}");
    let nothing = stdout(&checker(&state, &["hint", "lab-1"]));
    assert!(
        nothing.contains("has not been graded yet: run `cargo lab check lab-1` first"),
        "{nothing}"
    );

    // Lab 1 as shipped: it does not build for wasm32.
    let graded = checker(&state, &["check", "lab-1"]);
    assert_eq!(
        graded.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&graded.stderr)
    );
    let after = stdout(&checker(&state, &["list"]));
    let line = after.lines().find(|l| l.starts_with("lab-1")).unwrap();
    assert!(line.contains("✘ 2/11"), "{after}");
    assert!(line.contains("(0 of 3 tasks done,"), "{after}");
    assert_eq!(after.matches("· not started").count(), 4, "{after}");

    // The first failing check, then the next tier, then the next, then the last again.
    let first = stdout(&checker(&state, &["hint", "lab-1"]));
    assert!(
        first.starts_with(
            "lab-1 · task 1/3 · Build for wasm32 and keep the native build · build.wasm32 (hint 1 of 3;"
        ),
        "{first}"
    );
    assert!(
        first.contains("What failed: a dependency that needs a wasm32 feature"),
        "{first}"
    );
    assert!(
        first.contains("Read: book/src/labs/lab-1-crate-audit.md#building-for-wasm32"),
        "{first}"
    );
    let second = stdout(&checker(&state, &["hint", "lab-1"]));
    assert!(
        second.starts_with(
            "lab-1 · task 1/3 · Build for wasm32 and keep the native build · build.wasm32 (hint 2 of 3;"
        ),
        "{second}"
    );
    assert!(second.contains("--keep-going"), "{second}");
    let third = stdout(&checker(&state, &["hint", "lab-1"]));
    assert!(
        third.contains("(hint 3 of 3: the last one for this check)"),
        "{third}"
    );
    let again = stdout(&checker(&state, &["hint", "lab-1"]));
    assert_eq!(again, third, "the last hint repeats");

    // The reference solution's grade is not the student's progress.
    let solution = checker(&state, &["check", "lab-1", "--solution"]);
    assert_eq!(solution.status.code(), Some(0));
    let still = stdout(&checker(&state, &["list"]));
    assert!(
        still
            .lines()
            .find(|l| l.starts_with("lab-1"))
            .unwrap()
            .contains("✘ 2/11"),
        "{still}"
    );
}
