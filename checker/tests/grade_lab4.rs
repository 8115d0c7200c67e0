//! End to end, through the real pipeline: build for wasm32, run in workerd via Miniflare,
//! grade over HTTP. Each test marks the processes it starts (an environment variable that
//! node and workerd inherit) and fails if any of them outlives the checker.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;

use common::{
    assert_nothing_left, check, course_copy, processes_with, repo_root, unique_marker, MARKER_VAR,
};

fn checker(marker: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_checker"));
    // Progress lines are asserted on, though stderr is not a terminal here.
    cmd.env(MARKER_VAR, marker)
        .env("CHECKER_STATE", common::test_state())
        .env("CHECKER_PROGRESS", "always")
        .stdin(Stdio::null());
    cmd
}

fn grade(marker: &str, args: &[&str], envs: &[(&str, &Path)]) -> (Output, Value) {
    let mut cmd = checker(marker);
    cmd.args(args).args(["--format", "json"]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("the checker runs");
    let report = common::json_report(&output);
    (output, report)
}

#[test]
fn the_solution_passes_every_check() {
    let marker = unique_marker("solution");
    let (output, report) = grade(&marker, &["check", "full-server", "--solution"], &[]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["lab"], "lab-4");
    assert_eq!(report["target"], "solutions/lab-4-full-server");
    assert_eq!(report["passed"], true);
    assert_eq!(report["score"], report["max_score"]);
    for check in report["checks"].as_array().unwrap() {
        assert_eq!(check["status"], "pass", "{check:#}");
    }
    let env = &report["environment"];
    assert!(
        env["rustc"].as_str().unwrap().starts_with("rustc 1.95"),
        "{env}"
    );
    assert_eq!(env["wasm_bindgen"], "0.2.130");
    assert!(
        env["workerd"].as_str().unwrap().starts_with("1.2026"),
        "{env}"
    );
    assert!(env["node"].as_str().unwrap().starts_with('v'), "{env}");
    assert_nothing_left(&marker);
}

#[test]
fn a_second_run_does_no_bootstrap_work() {
    let marker = unique_marker("again");
    grade(&marker, &["check", "lab-4", "--solution"], &[]);
    let (output, report) = grade(&marker, &["check", "lab-4", "--solution"], &[]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for word in ["installing", "adding the Rust target"] {
        assert!(
            !stderr.contains(word),
            "second run did bootstrap work ({word}):\n{stderr}"
        );
    }
    assert_nothing_left(&marker);
}

/// What the starting point must fail, and a phrase of the explanation each failure gives:
/// the lab fails for the reasons it teaches, not by accident.
const STARTING_POINT_FAILURES: &[(&str, &str)] = &[
    (
        "protocol.initialize",
        "\"capabilities\" is a required property",
    ),
    (
        "protocol.version-negotiation",
        "asked 2025-11-25, expected 2025-11-25, got 2024-11-05",
    ),
    ("protocol.tools-list", "inputSchema"),
    ("protocol.tools-kv", "\"content\" is a required property"),
    ("protocol.tools-query", "\"content\" is a required property"),
    (
        "protocol.tool-errors",
        "unknown tool: HTTP 200 without a JSON-RPC error",
    ),
    ("protocol.jsonrpc-errors", "malformed JSON: HTTP 500"),
    (
        "protocol.http-transport",
        "GET (no server stream): HTTP 404",
    ),
    ("protocol.batches", "batch (2025-03-26): HTTP 400"),
    ("protocol.discover", "\"resultType\" is a required property"),
    (
        "protocol.stateless-requests",
        "ping (removed in 2026-07-28): HTTP 200",
    ),
    (
        "protocol.header-validation",
        "unsupported version: HTTP 200",
    ),
    ("robustness.sql-read-only", "does not answer a plain SELECT"),
    ("robustness.bad-input", "truncated JSON: HTTP 500"),
    (
        "protocol.schema",
        "do not match the schema of their revision",
    ),
];

#[test]
fn the_starting_point_fails_the_protocol_checks_and_says_why() {
    let marker = unique_marker("lab");
    let (output, report) = grade(&marker, &["check", "4"], &[]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["passed"], false);
    assert_eq!(check(&report, "build")["status"], "pass");
    for (id, phrase) in STARTING_POINT_FAILURES {
        let c = check(&report, id);
        assert_eq!(c["status"], "fail", "{c:#}");
        let message = c["message"].as_str().unwrap();
        assert!(
            message.contains(phrase),
            "{id} should say {phrase:?}: {message}"
        );
        assert!(
            c["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{id} has a hint"
        );
        assert!(
            c["evidence"]["reproduce"]
                .as_str()
                .is_some_and(|r| r.starts_with("curl ")),
            "{id} can be reproduced: {c:#}"
        );
        assert!(c["spec"].as_str().is_some(), "{id} cites the spec");
    }
    assert!(report["score"].as_f64().unwrap() < report["max_score"].as_f64().unwrap() / 4.0);
    assert_nothing_left(&marker);

    // The human report of the same run, pinned with what varies between runs normalised.
    let human = checker(&marker)
        .args(["check", "4"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8(human.stdout).unwrap();
    // The first report a student reads: the current task's evidence, a line for the rest.
    assert!(
        text.lines().count() <= 40,
        "{} lines:\n{text}",
        text.lines().count()
    );
    assert!(
        text.contains("\nnext: task 1/7 · HTTP: the endpoint, its methods and headers ·"),
        "{text}"
    );
    insta::with_settings!({
        filters => REPORT_FILTERS.to_vec()
    }, {
        insta::assert_snapshot!("starting_point_human_report", text);
    });
    // The lab 4 chapter shows this report (book/src/reports/lab-4-start.txt): a grader change
    // that does not refresh it leaves the book teaching the old one.
    let book =
        std::fs::read_to_string(repo_root().join("book/src/reports/lab-4-start.txt")).unwrap();
    assert!(
        normalised(&book) == normalised(&text),
        "book/src/reports/lab-4-start.txt is not this grader's report: run `python3 book/tools/refresh.py` and commit what it writes"
    );
    assert_nothing_left(&marker);
}

/// What varies between runs of the same report, and what it is shown as.
const REPORT_FILTERS: &[(&str, &str)] = &[
    (r"\d+(\.\d+)? s\b", "[time]"),
    (r"\(\d+ bytes of wasm\)", "([n] bytes of wasm)"),
    (r"run \d+", "run [n]"),
    // Miniflare's stack line in workerd's "hung" reply names the checkout (which the book's
    // copy leaves out: `file://node_modules/`).
    (r"file://\S*?node_modules/", "file://[repo]/node_modules/"),
    (
        r"cancelled \d+ of \d+ requests",
        "cancelled [n] of [n] requests",
    ),
];

fn normalised(report: &str) -> String {
    REPORT_FILTERS
        .iter()
        .fold(report.to_owned(), |text, (pattern, to)| {
            regex::Regex::new(pattern)
                .unwrap()
                .replace_all(&text, *to)
                .into_owned()
        })
}

/// A copy of the course's sources (no build output) in a temporary directory, sharing the
/// real repository's tools, npm packages and target directory so nothing is rebuilt twice.

#[test]
fn a_compile_error_is_a_graded_build_error_with_the_first_compiler_error() {
    let marker = unique_marker("broken");
    let copy = course_copy();
    let lib = copy.path().join("labs/lab-4-full-server/src/lib.rs");
    common::edit(&lib, "parse_body(&body)", "parse_body(&bod)");
    let target = repo_root().join("target");
    let (output, report) = grade(
        &marker,
        &["check", "lab-4"],
        &[("COURSE_ROOT", copy.path()), ("CARGO_TARGET_DIR", &target)],
    );
    assert_eq!(output.status.code(), Some(2), "{report:#}");
    let build = check(&report, "build");
    assert_eq!(build["status"], "error");
    let message = build["message"].as_str().unwrap();
    assert!(
        message.contains("error[E0425]: cannot find value `bod`"),
        "{message}"
    );
    assert!(message.contains("src/lib.rs"), "{message}");
    for c in report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] != "build" && c["id"] != "integrity")
    {
        assert_eq!(c["status"], "skipped", "{c:#}");
        assert_eq!(c["points"], 0.0);
    }
    assert_nothing_left(&marker);
}

#[test]
fn without_node_the_lab_is_not_gradable_and_the_message_says_what_to_install() {
    let marker = unique_marker("no-node");
    // A PATH with the Rust tools and nothing else.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["cargo", "rustc", "rustup"] {
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{tool} is on PATH"));
        std::os::unix::fs::symlink(found, bin.path().join(tool)).unwrap();
    }
    let (output, report) = grade(&marker, &["check", "lab-4"], &[("PATH", bin.path())]);
    assert_eq!(output.status.code(), Some(2), "{report:#}");
    let build = check(&report, "build");
    assert_eq!(build["status"], "error");
    let message = build["message"].as_str().unwrap();
    assert!(message.contains("Node.js is not installed"), "{message}");
    assert!(message.contains("install it"), "{message}");
    assert_nothing_left(&marker);
}

#[test]
fn serve_stops_node_and_workerd_on_ctrl_c() {
    let marker = unique_marker("serve");
    let port = free_port();
    let mut child = checker(&marker)
        .args(["serve", "lab-4", "--solution", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `serve` prints the URL once the Worker answers.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    if !first_line.contains(&url) {
        let output = child.wait_with_output().unwrap();
        panic!(
            "serve did not announce {url} (got {first_line:?}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent.get(&url).call().expect("the served Worker answers");
    assert_eq!(
        resp.status().as_u16(),
        405,
        "GET /mcp is refused: no SSE stream"
    );
    assert!(
        !processes_with(&marker).is_empty(),
        "the runtime runs while serving"
    );
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(130),
        "interrupted runs exit 130; stderr:\n{stderr}"
    );
    assert!(stderr.contains("nothing is left running"), "{stderr}");
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    insta::assert_snapshot!("interrupted_serve_last_line", last);
    assert_nothing_left(&marker);
}

/// A free port below Linux's ephemeral range (32768+), so a workerd that other tests start
/// meanwhile (on OS-chosen ports) cannot take it between our probe and serve's bind.
fn free_port() -> u16 {
    let start = 20_000 + (std::process::id() % 5_000) as u16;
    (start..30_000)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port between 20000 and 30000")
}

#[test]
fn ctrl_c_while_the_runtime_starts_leaves_nothing_running() {
    let marker = unique_marker("interrupt");
    let mut child = checker(&marker)
        .args(["check", "lab-4", "--solution"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("starting the Worker") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "check ended before starting the runtime: {seen}"
        );
        seen.push_str(&line);
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "interrupted runs exit 130; stderr:\n{seen}{rest}"
    );
    assert_nothing_left(&marker);
}

/// The regression the lab warns about: the solution with its SQL guard replaced by the source
/// lesson's prefix check (and no sub-query wrapping) must lose the read-only check.
#[test]
fn a_solution_with_a_prefix_only_sql_check_fails_the_read_only_check() {
    let marker = unique_marker("prefix-guard");
    let (_, _) = grade(&marker, &["check", "lab-4", "--solution"], &[]);
    let copy =
        common::course_copy_with_solution_renamed("lab-4-full-server", "solution-lab-4-mutant");
    let tools = copy.path().join("solutions/lab-4-full-server/src/tools.rs");
    let source = std::fs::read_to_string(&tools).unwrap();
    let naive = source
        .replace(
            "let query = sql_guard::check_read_only(sql)?;",
            "if !sql.trim_start().to_uppercase().starts_with(\"SELECT\") { return Err(ToolError(\"only SELECT\".into())); }\n    let query = sql;",
        )
        .replace(
            "let wrapped = format!(\"SELECT * FROM (\\n{query}\\n) LIMIT {}\", MAX_ROWS + 1);",
            "let wrapped = query.to_owned();",
        );
    assert_ne!(
        naive, source,
        "the mutation applies to the solution as it is"
    );
    std::fs::write(&tools, naive).unwrap();
    let target = repo_root().join("target");
    let (output, report) = grade(
        &marker,
        &["check", "lab-4", "--solution"],
        &[("COURSE_ROOT", copy.path()), ("CARGO_TARGET_DIR", &target)],
    );
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let guard = check(&report, "robustness.sql-read-only");
    assert_eq!(guard["status"], "fail", "{guard:#}");
    assert_eq!(
        guard["points"], 0.0,
        "a single write costs every point: {guard:#}"
    );
    let message = guard["message"].as_str().unwrap();
    assert!(message.contains("CHANGED the database"), "{message}");
    assert_nothing_left(&marker);
}

/// Task 1 done, and nothing else (checker/tests/fixtures/lab-4-task-1-done.rs in place of the
/// starting point's TASK 1 section, in a copy of the course): the report moves on to task 2,
/// with task 2's evidence and task 1 folded to its line.
#[test]
fn finishing_task_1_moves_the_report_on_to_task_2() {
    let marker = unique_marker("task-1");
    let copy = course_copy();
    let lib = copy.path().join("labs/lab-4-full-server/src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    let (start, end) = (
        source
            .find("// ─── TASK 1 ")
            .expect("the starting point marks task 1"),
        source
            .find("// ─── TASK 2 ")
            .expect("the starting point marks task 2"),
    );
    let done =
        std::fs::read_to_string(repo_root().join("checker/tests/fixtures/lab-4-task-1-done.rs"))
            .unwrap();
    std::fs::write(
        &lib,
        format!("{}{done}{}", &source[..start], &source[end..]),
    )
    .unwrap();
    let output = checker(&marker)
        .args(["check", "lab-4"])
        .env("NO_COLOR", "1")
        .env("COURSE_ROOT", copy.path())
        .env("CARGO_TARGET_DIR", repo_root().join("target"))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains(
            "\n✔ task 1/7 · HTTP: the endpoint, its methods and headers · 2 of 2 checks passing\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("\nnext: task 2/7 · JSON-RPC errors · 0 of 1 check passing ·"),
        "{text}"
    );
    assert!(text.lines().count() <= 40, "{text}");
    insta::with_settings!({
        filters => REPORT_FILTERS.to_vec()
    }, {
        insta::assert_snapshot!("task_1_done_human_report", text);
    });
    assert_nothing_left(&marker);
}
