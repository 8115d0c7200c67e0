//! Lab 3 end to end, through the real pipeline: the starting point weighs what the course
//! recorded and keeps its behaviour; the solution is far smaller with the same replies; and
//! the checker's figures agree with `wc -c` and `gzip -9` on the very file it measured.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;

use common::{check, repo_root};

fn checker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .env("CHECKER_STATE", common::test_state())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the checker runs")
}

fn report(args: &[&str]) -> (Output, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = checker(&all);
    let report = common::json_report(&output);
    (output, report)
}

fn baseline() -> f64 {
    let text =
        std::fs::read_to_string(repo_root().join("checker/labs/lab-3-size-reduction/lab.toml"))
            .unwrap();
    let manifest: toml::Table = text.parse().unwrap();
    manifest["size"]["baseline_bytes"].as_integer().unwrap() as f64
}

#[test]
fn the_starting_point_keeps_its_behaviour_and_weighs_its_recorded_baseline() {
    let (output, report) = report(&["check", "lab-3"]);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let raw = check(&report, "size.raw-bytes");
    assert_eq!(raw["status"], "fail", "{raw:#}");
    assert_eq!(raw["points"], 0.0);
    let measured = raw["measured"]["value"].as_f64().unwrap();
    // Deterministic builds; 1 % leaves room for paths a different CARGO_HOME puts in panics.
    let drift = (measured - baseline()).abs() / baseline();
    assert!(
        drift < 0.01,
        "the starting point is {measured} bytes but lab.toml records {}: re-measure with `cargo lab size lab-3`",
        baseline()
    );
    assert_eq!(
        check(&report, "size.behaviour")["status"],
        "pass",
        "{report:#}"
    );
    assert!(
        raw["hint"]
            .as_str()
            .unwrap()
            .contains("strip = \"debuginfo\""),
        "{raw:#}"
    );
}

#[test]
fn the_solution_is_at_most_35_percent_and_answers_every_corpus_request_the_same() {
    let (output, report) = report(&["check", "lab-3", "--solution"]);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["score"], report["max_score"]);
    let measured = check(&report, "size.raw-bytes")["measured"]["value"]
        .as_f64()
        .unwrap();
    let ratio = measured / baseline();
    eprintln!(
        "solution: {measured} bytes, {:.1} % of the baseline",
        ratio * 100.0
    );
    assert!(ratio <= 0.35, "{ratio}");
    // The name section and the whole upload, as wrangler reports it, are shown (not graded).
    let message = check(&report, "size.raw-bytes")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("as deployed (function names: "),
        "{message}"
    );
    let upload = message
        .split("whole upload, as `wrangler deploy` reports it: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no whole upload in: {message}"));
    let (total, gzip) = checker::wrangler::parse_total_upload(&format!("Total Upload: {upload}"))
        .unwrap_or_else(|| panic!("not wrangler's figures: {upload}"));
    // The upload is the module plus wrangler's bundle of the JS (tens of KB), and gzip shrinks it.
    assert!(
        total * 1024.0 > measured && total * 1024.0 < measured + 100_000.0,
        "{message}"
    );
    assert!(gzip < total, "{message}");
    let behaviour = check(&report, "size.behaviour");
    let corpus = checker::checks::corpus::load_corpus(
        &checker::course::find(&common::repo_root(), "lab-3").unwrap(),
    )
    .unwrap();
    assert!(
        behaviour["message"]
            .as_str()
            .unwrap()
            .contains(&format!("all {} corpus replies", corpus.len())),
        "{behaviour:#}"
    );
}

#[test]
fn size_figures_match_wc_and_gzip_on_the_deployed_file() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("deployed.wasm");
    let output = checker(&[
        "size",
        "lab-3",
        "--solution",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("raw "))
        .unwrap();
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .filter(|n| *n > 1000)
        .collect();
    let (raw, gzip) = (numbers[0], numbers[1]);
    let wc = Command::new("sh")
        .arg("-c")
        .arg(format!("wc -c < '{}'", saved.display()))
        .output()
        .unwrap();
    let wc: u64 = String::from_utf8(wc.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(raw, wc, "{line}");
    let gz = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -9 -c '{}' | wc -c", saved.display()))
        .output()
        .unwrap();
    let gz: u64 = String::from_utf8(gz.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Two deflate implementations at their best level: within 2 % of each other.
    let diff = (gzip as f64 - gz as f64).abs() / gz as f64;
    eprintln!("raw {raw} = wc -c {wc}; gzip: checker {gzip}, gzip -9 {gz}");
    assert!(diff < 0.02, "checker gzip {gzip} vs gzip -9 {gz}");
    // And `check` measures the same file.
    let (_, report) = report(&["check", "lab-3", "--solution"]);
    assert_eq!(
        check(&report, "size.raw-bytes")["measured"]["value"]
            .as_f64()
            .unwrap() as u64,
        raw
    );
}

#[test]
fn the_breakdown_names_the_heavy_crates_of_the_starting_point_and_their_fixes() {
    let output = checker(&["size", "lab-3"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    // strip = true left no names: the attribution comes from a copy that keeps them.
    assert!(
        text.contains("from a copy built with strip = \"debuginfo\""),
        "{text}"
    );
    for (krate, fix) in [
        ("regex_automata", "a regex engine for trivial matching"),
        ("url", "route on `req.path()`"),
        ("chrono_tz", "format the few fields you need by hand"),
    ] {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{krate} ")))
            .unwrap_or_else(|| panic!("{krate} is not in the breakdown:\n{text}"));
        let hint = text.lines().nth(line + 1).unwrap();
        assert!(
            hint.contains(fix) && hint.contains("book/src/labs/lab-3-size-reduction.md#"),
            "{hint}"
        );
    }
    assert!(text.contains("the data section is"), "{text}");
}
