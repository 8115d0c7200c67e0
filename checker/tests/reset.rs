//! `checker reset <lab>`: a lab goes back to the starting point the course recorded
//! (checker/labs/starting-points.toml), the student's files are kept under
//! target/checker/backups/, progress for the lab is forgotten, and nothing happens without a
//! yes. Run in a copy of the course with a git history of its own, as a student's clone has.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;

use common::{course_copy, repo_root};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=student",
            "-c",
            "user.email=student@example.com",
        ])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn reset(copy: &Path, target: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .arg("reset")
        .args(args)
        .env("COURSE_ROOT", copy)
        .env("CARGO_TARGET_DIR", target)
        .env("CHECKER_STATE", state)
        .stdin(Stdio::null())
        .output()
        .expect("the checker runs")
}

#[test]
fn reset_restores_the_starting_point_and_keeps_the_students_files() {
    let copy = course_copy();
    let root = copy.path();
    git(root, &["init", "-q"]);
    git(root, &["add", "labs"]);
    git(root, &["commit", "-q", "-m", "the course"]);
    // The student's work, committed too: the starting point is not "what git has".
    let lab = root.join("labs/lab-0-first-worker");
    let lib = lab.join("src/lib.rs");
    std::fs::write(&lib, "// my own Worker\n").unwrap();
    std::fs::write(lab.join("src/extra.rs"), "// a module of mine\n").unwrap();
    git(root, &["add", "labs"]);
    git(root, &["commit", "-q", "-m", "my work"]);
    std::fs::create_dir_all(lab.join("build")).unwrap();
    std::fs::write(lab.join("build/index.js"), "// build output\n").unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let (target, state) = (
        scratch.path().join("target"),
        scratch.path().join("state.json"),
    );
    std::fs::write(
        &state,
        r#"{"labs":{"lab-0":{"hints_shown":{"protocol.hello":2}},"lab-1":{"hints_shown":{}}}}"#,
    )
    .unwrap();

    // Without a terminal and without --yes: nothing happens, and the message says why.
    let refused = reset(root, &target, &state, &["lab-0"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), "// my own Worker\n");

    let done = reset(root, &target, &state, &["0", "--yes"]);
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert_eq!(
        done.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(
        std::fs::read(&lib).unwrap(),
        std::fs::read(repo_root().join("labs/lab-0-first-worker/src/lib.rs")).unwrap(),
        "the starting point's lib.rs is back"
    );
    assert!(
        !lab.join("src/extra.rs").exists(),
        "a file the start does not have is gone"
    );
    assert!(
        lab.join("build/index.js").exists(),
        "build output is left alone"
    );

    let backups: Vec<_> = std::fs::read_dir(target.join("checker/backups"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let backup = &backups[0];
    assert!(backup
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("lab-0-"));
    assert_eq!(
        std::fs::read_to_string(backup.join("src/lib.rs")).unwrap(),
        "// my own Worker\n"
    );
    assert!(backup.join("src/extra.rs").exists());
    assert!(
        !backup.join("build").exists(),
        "build output is not backed up"
    );
    assert!(
        stdout.contains(&backup.display().to_string()),
        "the command says where the files went:\n{stdout}"
    );

    let progress = std::fs::read_to_string(&state).unwrap();
    assert!(!progress.contains("lab-0"), "{progress}");
    assert!(
        progress.contains("lab-1"),
        "other labs keep their progress: {progress}"
    );
}
