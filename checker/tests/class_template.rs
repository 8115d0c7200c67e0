//! A class's copy of the course (`.ci/class-template`): no answers in it, every grading file
//! intact, lab 1's audit key withheld but never replaceable, and a lab graded there the way
//! a student would (the instructor guide's "Running a graded class" relies on all of it).

mod common;

use common::output_text;

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn checker(course: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .env("COURSE_ROOT", course)
        .env("CHECKER_STATE", course.join("target-state.json"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the checker runs")
}

#[test]
fn a_class_copy_has_no_answers_and_still_grades() {
    let root = common::repo_root();
    common::ensure_tools();
    let scratch = tempfile::tempdir().unwrap();
    let class = scratch.path().join("class");
    let made = Command::new("bash")
        .arg(root.join(".ci/class-template"))
        .arg(&class)
        .current_dir(&root)
        .output()
        .expect("cannot run .ci/class-template");
    assert!(made.status.success(), "{}", output_text(&made));

    // No answers.
    for gone in [
        "solutions",
        "checker/mutants",
        "checker/tests",
        "checker/labs/lab-1-crate-audit/audit-key.toml",
    ] {
        assert!(
            !class.join(gone).exists(),
            "{gone} is still in the class copy"
        );
    }
    let workspace = std::fs::read_to_string(class.join("Cargo.toml")).unwrap();
    assert!(!workspace.contains("solutions/"), "{workspace}");
    assert!(!workspace.contains("package.solution-"), "{workspace}");
    let mut pages = Vec::new();
    collect_pages(&class.join("book/src"), &mut pages);
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for line in text.lines() {
            assert!(
                !(line.contains("{{#include") && line.contains("solutions/")),
                "{} still includes solution code: {line}",
                page.display()
            );
        }
    }
    for debrief in [
        "book/src/labs/lab-3-debrief.md",
        "book/src/concepts/server.md",
    ] {
        let text = std::fs::read_to_string(class.join(debrief)).unwrap();
        assert!(
            text.starts_with("# ")
                && text.contains("after the lab's deadline")
                && text.lines().count() < 6,
            "{debrief} still has the debrief:\n{text}"
        );
    }
    // The tools the checkout installed, as a student's first run would have installed them.
    for tool in [".tools", "node_modules"] {
        std::os::unix::fs::symlink(root.join(tool), class.join(tool)).unwrap();
    }

    // Every grading file is the course's: the key may be missing, but not different.
    let intact = checker(&class, &["integrity"]);
    assert!(intact.status.success(), "{}", output_text(&intact));
    let key = class.join("checker/labs/lab-1-crate-audit/audit-key.toml");
    std::fs::write(&key, "[[problem]]\nname = \"nothing\"\n").unwrap();
    let planted = checker(&class, &["integrity"]);
    assert_eq!(planted.status.code(), Some(1), "{}", output_text(&planted));
    assert!(
        output_text(&planted).contains("audit-key.toml was modified"),
        "{}",
        output_text(&planted)
    );
    std::fs::remove_file(&key).unwrap();

    // Lab 1 grades there: every check runs as usual, and the audit file is reported as not
    // gradable in this copy (exit 2), with where it is graded.
    let graded = checker(&class, &["check", "lab-1", "--format", "json"]);
    let report = common::json_report(&graded);
    assert_eq!(graded.status.code(), Some(2), "{report:#}");
    assert_eq!(common::check(&report, "integrity")["status"], "pass");
    assert_eq!(common::check(&report, "build.native")["status"], "pass");
    let audit = common::check(&report, "audit.report");
    assert_eq!(audit["status"], "error", "{audit:#}");
    assert!(
        audit["message"]
            .as_str()
            .unwrap()
            .contains("kept by your instructor"),
        "{audit:#}"
    );

    // A class's CI hands the key in COURSE_AUDIT_KEY_B64: the audit is then graded, and
    // nothing the checker runs sees the key. The student's crate gets a build script that
    // records whether the variable reached it.
    let seen = scratch.path().join("seen.txt");
    std::fs::write(
        class.join("labs/lab-1-crate-audit/build.rs"),
        format!(
            "fn main() {{ std::fs::write({:?}, if std::env::var_os(\"COURSE_AUDIT_KEY_B64\").is_some() {{ \"present\" }} else {{ \"absent\" }}).unwrap(); }}\n",
            seen
        ),
    )
    .unwrap();
    let key = std::fs::read(root.join("checker/labs/lab-1-crate-audit/audit-key.toml")).unwrap();
    let handed = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(key)
    };
    let graded = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["check", "lab-1", "--format", "json"])
        .env("COURSE_ROOT", &class)
        .env("CHECKER_STATE", class.join("target-state.json"))
        .env("COURSE_AUDIT_KEY_B64", &handed)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report = common::json_report(&graded);
    let audit = common::check(&report, "audit.report");
    assert_eq!(
        audit["status"], "fail",
        "graded with the handed key: {audit:#}"
    );
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        "absent",
        "the student's build script saw the key"
    );
    assert!(
        !class
            .join("checker/labs/lab-1-crate-audit/audit-key.toml")
            .exists(),
        "the handed key was written to disk"
    );
    // A key that is not the course's is refused, whatever it says.
    let forged = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("[[problem]]\nname = \"x\"\n")
    };
    let graded = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["check", "lab-1", "--format", "json"])
        .env("COURSE_ROOT", &class)
        .env("CHECKER_STATE", class.join("target-state.json"))
        .env("COURSE_AUDIT_KEY_B64", forged)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report = common::json_report(&graded);
    let audit = common::check(&report, "audit.report");
    assert!(
        audit["message"]
            .as_str()
            .unwrap()
            .contains("is not the course's"),
        "{audit:#}"
    );
}

fn collect_pages(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_pages(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}
