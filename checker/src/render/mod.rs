//! Renderings of a [`Report`]. Every format reads the same result.

pub mod exercism;
mod github;
mod junit;

use std::fmt::Write as _;

pub use exercism::exercism;
pub use github::github;
pub use junit::junit;

use anstyle::{AnsiColor, Style};

use crate::report::{Category, CheckResult, Report, Status};

const BOLD: Style = Style::new().bold();
const DIM: Style = AnsiColor::BrightBlack.on_default();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();

/// The report as pretty JSON (`--format json`).
pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report always serialises");
    text.push('\n');
    text
}

/// How much of a report [`human`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The current task (the first not done) with the evidence of its misses; one line per
    /// check of the tasks after it; one line per task already done (every check's line when
    /// all are done). What a student needs next.
    NextTask,
    /// Every check of every task, with the evidence of every miss (`check --all`).
    All,
}

/// The report for a person, task by task: each task's progress, its checks with points, and
/// the details of each miss of the current task (of every task with [`Detail::All`]).
/// Styles are ANSI codes; the caller's stream drops them when it is not a terminal.
pub fn human(report: &Report, detail: Detail) -> String {
    let mut out = String::new();
    let who = if report.solution {
        " (reference solution)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{BOLD}{} · {}{BOLD:#}{who} — {}",
        report.lab, report.title, report.target
    );
    let width = report.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let current = current_task(&report.tasks);
    let mut hidden = 0;
    let loose = |c: &&CheckResult| task_index(report, c).is_none();
    // Integrity first: nothing else counts until the course's files are the course's.
    for check in report
        .checks
        .iter()
        .filter(loose)
        .filter(|c| c.category == Category::Integrity)
    {
        check_with_details(&mut out, check, width, "", &report.lab);
    }
    for (i, task) in report.tasks.iter().enumerate() {
        let (mark, style) = if task.done() {
            ("✔", GREEN)
        } else if Some(i) == current {
            ("▶", YELLOW)
        } else {
            ("·", DIM)
        };
        let _ = writeln!(
            out,
            "{style}{mark}{style:#} {BOLD}task {}/{} · {}{BOLD:#} · {}",
            i + 1,
            report.tasks.len(),
            task.title,
            passing_of(task)
        );
        // A task done while another is not folds to its line: the work is elsewhere. When
        // every task is done, each check's line (a size, a peak) is the result to read.
        if task.done() && detail == Detail::NextTask && current.is_some() {
            continue;
        }
        for check in report
            .checks
            .iter()
            .filter(|c| task_index(report, c) == Some(i))
        {
            if detail == Detail::All || Some(i) == current {
                check_with_details(&mut out, check, width, "", &report.lab);
            } else {
                hidden += usize::from(check.is_miss());
                check_line(&mut out, check, width, &short(&summary_line(check)));
            }
        }
    }
    // Then the findings about the run as a whole (a panic, a hang), which belong to no task:
    // their first line names the cause; the current task's evidence shows its effect.
    let mut whole_run = report
        .checks
        .iter()
        .filter(loose)
        .filter(|c| c.category != Category::Integrity)
        .peekable();
    if whole_run.peek().is_some() && !report.tasks.is_empty() {
        let _ = writeln!(out, "{DIM}·{DIM:#} {BOLD}the run as a whole{BOLD:#}");
    }
    for check in whole_run {
        if report.tasks.is_empty() || detail == Detail::All {
            check_with_details(&mut out, check, width, "", &report.lab);
        } else {
            hidden += usize::from(check.is_miss());
            check_line(&mut out, check, width, &summary_line(check));
        }
    }
    let failing = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .count();
    let verdict = if report.passed {
        format!("{GREEN}all {} checks pass{GREEN:#}", report.checks.len())
    } else {
        let noun = if report.checks.len() == 1 {
            "check"
        } else {
            "checks"
        };
        format!(
            "{RED}{failing} of {} {noun} not passing{RED:#}",
            report.checks.len()
        )
    };
    let _ = writeln!(
        out,
        "{BOLD}score {}/{}{BOLD:#} · {verdict} · {:.1} s",
        points(report.score),
        points(report.max_score),
        report.duration_ms as f64 / 1000.0
    );
    next_task(&mut out, &report.tasks);
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{DIM}(the details of the other misses: `cargo lab check {} --all`){DIM:#}",
            report.lab
        );
    }
    out
}

/// The position of the first task not done, if any.
fn current_task(tasks: &[crate::report::TaskProgress]) -> Option<usize> {
    tasks.iter().position(|t| !t.done())
}

/// The position of the task a check belongs to, among the report's tasks.
fn task_index(report: &Report, check: &CheckResult) -> Option<usize> {
    let task = check.task.as_deref()?;
    report.tasks.iter().position(|t| t.id == task)
}

/// `1 of 2 checks passing`, `0 of 1 check passing`.
fn passing_of(task: &crate::report::TaskProgress) -> String {
    let noun = if task.checks == 1 { "check" } else { "checks" };
    format!("{} of {} {noun} passing", task.passing, task.checks)
}

/// A check's summary cut for a one-line mention: up to the first `;` (a tally's count), and
/// at most a terminal's width.
fn short(summary: &str) -> String {
    const MAX: usize = 90;
    let head = summary.split("; ").next().unwrap_or_default();
    // "the wasm tests did not run:" announces lines that are not shown here.
    let head = head.strip_suffix(':').unwrap_or(head);
    if head.chars().count() > MAX {
        head.chars().take(MAX - 1).collect::<String>() + "…"
    } else {
        head.to_owned()
    }
}

/// The step to work on: the first task not done, with how far it got and where to read.
fn next_task(out: &mut String, tasks: &[crate::report::TaskProgress]) {
    if let Some(i) = current_task(tasks) {
        let task = &tasks[i];
        let _ = writeln!(
            out,
            "next: task {}/{} · {} · {} · read {}",
            i + 1,
            tasks.len(),
            task.title,
            passing_of(task),
            task.doc
        );
    }
}

/// What changed between two runs of the same lab (`watch`): the checks whose status or points
/// moved (with the details of those of the current task that now miss), then the score.
/// Unchanged checks are left out; if nothing moved, one line says so. When a task is done
/// and the work moves on, the new current task's misses follow, with their details.
pub fn changes(previous: &Report, report: &Report) -> String {
    let mut out = String::new();
    let width = report.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let current = current_task(&report.tasks);
    let in_focus = |check: &CheckResult| {
        let task = task_index(report, check);
        task.is_none() || task == current
    };
    let mut moved = 0;
    for check in &report.checks {
        let before = previous.checks.iter().find(|c| c.id == check.id);
        if before.is_some_and(|b| b.status == check.status && b.points == check.points) {
            continue;
        }
        moved += 1;
        let was = before.map_or_else(
            || "new".to_owned(),
            |b| format!("was {} {}", status_mark(b.status).0, points(b.points)),
        );
        let suffix = format!(" {DIM}({was}){DIM:#}");
        if in_focus(check) {
            check_with_details(&mut out, check, width, &suffix, &report.lab);
        } else {
            check_line(
                &mut out,
                check,
                width,
                &format!("{}{suffix}", short(&summary_line(check))),
            );
        }
    }
    if moved == 0 {
        let _ = writeln!(out, "  {DIM}no check changed{DIM:#}");
    }
    let was_current = current_task(&previous.tasks).and_then(|i| previous.tasks.get(i));
    let now_current = current.map(|i| &report.tasks[i]);
    if let Some(task) = now_current.filter(|t| was_current.map(|w| &w.id) != Some(&t.id)) {
        let i = current.unwrap_or_default();
        let _ = writeln!(
            out,
            "{YELLOW}▶{YELLOW:#} {BOLD}now task {}/{} · {}{BOLD:#} · {}",
            i + 1,
            report.tasks.len(),
            task.title,
            passing_of(task)
        );
        for check in report
            .checks
            .iter()
            .filter(|c| task_index(report, c) == current && c.is_miss())
        {
            let already = previous
                .checks
                .iter()
                .find(|c| c.id == check.id)
                .is_some_and(|b| b.status == check.status && b.points == check.points);
            if already {
                check_with_details(&mut out, check, width, "", &report.lab);
            }
        }
    }
    let _ = writeln!(
        out,
        "{BOLD}score {}/{}{BOLD:#} (was {}) · {:.1} s",
        points(report.score),
        points(report.max_score),
        points(previous.score),
        report.duration_ms as f64 / 1000.0
    );
    next_task(&mut out, &report.tasks);
    out
}

/// One check's line (with `suffix` at its end), then the details of a miss.
fn check_with_details(
    out: &mut String,
    check: &CheckResult,
    width: usize,
    suffix: &str,
    lab: &str,
) {
    check_line(
        out,
        check,
        width,
        &format!("{}{suffix}", summary_line(check)),
    );
    if check.is_miss() {
        details(out, check, lab);
    }
}

/// One check's line: mark, id, points, then `text`.
fn check_line(out: &mut String, check: &CheckResult, width: usize, text: &str) {
    let (mark, style) = status_mark(check.status);
    let _ = writeln!(
        out,
        "  {style}{mark}{style:#} {:<width$}  {:>5}/{:<5} {text}",
        check.id,
        points(check.points),
        points(check.max_points),
    );
}

fn status_mark(status: Status) -> (&'static str, Style) {
    match status {
        Status::Pass => ("✔", GREEN),
        Status::Fail => ("✘", RED),
        Status::Error => ("!", RED),
        Status::Skipped => ("-", DIM),
    }
}

/// Points as reports print them: whole numbers without decimals, others with two.
pub fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.2}")
    }
}

/// The first line of the message, with the measurement against its budget when there is one.
fn summary_line(check: &CheckResult) -> String {
    let first = check.message.lines().next().unwrap_or_default();
    match (&check.measured, &check.budget) {
        (Some(m), Some(b)) => {
            let limit = match (b.min, b.max) {
                (_, Some(max)) => format!("≤ {max} {}", b.unit),
                (Some(min), None) => format!("≥ {min} {}", b.unit),
                (None, None) => "no limit".into(),
            };
            format!("{} {} (budget {limit}) — {first}", m.value, m.unit)
        }
        (Some(m), None) => format!("{} {} — {first}", m.value, m.unit),
        _ => first.to_owned(),
    }
}

/// A miss for formats that are not a terminal (JUnit, GitHub): the whole message, then the
/// hint, evidence and pointers, without styles or indentation.
fn details_plain(check: &CheckResult, lab: &str) -> String {
    let mut styled = String::new();
    details(&mut styled, check, lab);
    let mut out = check.message.lines().next().unwrap_or_default().to_owned();
    for line in anstream::adapter::strip_str(&styled).to_string().lines() {
        out.push('\n');
        out.push_str(line.strip_prefix("      ").unwrap_or(line));
    }
    out
}

fn details(out: &mut String, check: &CheckResult, lab: &str) {
    let pad = "      ";
    for line in check.message.lines().skip(1) {
        let _ = writeln!(out, "{pad}{line}");
    }
    if let Some(hint) = &check.hint {
        let _ = writeln!(out, "{pad}{YELLOW}hint:{YELLOW:#} {hint}");
    }
    if let Some(evidence) = &check.evidence {
        let sent = if evidence.request.is_empty() {
            "(no body)"
        } else {
            &evidence.request
        };
        let _ = writeln!(out, "{pad}{DIM}sent:{DIM:#}      {sent}");
        // A response of several lines (a list of misses) keeps the column.
        let response = evidence
            .response
            .replace('\n', &format!("\n{pad}           "));
        let _ = writeln!(out, "{pad}{DIM}got:{DIM:#}       {response}");
        if let Some(expected) = &evidence.expected {
            let _ = writeln!(out, "{pad}{DIM}expected:{DIM:#}  {expected}");
        }
        let _ = writeln!(
            out,
            "{pad}{DIM}reproduce:{DIM:#} `cargo lab serve {lab}`, then {}",
            evidence.reproduce
        );
    }
    if let Some(spec) = &check.spec {
        let _ = writeln!(
            out,
            "{pad}{DIM}spec:{DIM:#}      https://modelcontextprotocol.io/specification/{spec}"
        );
    }
    if !check.doc.is_empty() {
        let _ = writeln!(out, "{pad}{DIM}read:{DIM:#}      book/src/{}", check.doc);
    }
}

/// The `checker audit` report: what breaks, why, the path that brings it in, the fix.
pub fn audit(audit: &crate::audit::Audit) -> String {
    use crate::audit::Kind;
    let mut out = String::new();
    let verdict = if audit.builds {
        "builds for wasm32"
    } else {
        "does NOT build for wasm32"
    };
    let _ = writeln!(out, "{BOLD}{}{BOLD:#} {verdict}", audit.package);
    for (kind, heading) in [
        (Kind::Compile, "breaks the wasm32 build"),
        (
            Kind::Runtime,
            "compiles, then fails when it runs in a Worker",
        ),
    ] {
        let found: Vec<_> = audit.findings.iter().filter(|f| f.kind == kind).collect();
        if found.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n  {heading}:");
        for f in found {
            let _ = writeln!(
                out,
                "  {RED}✘{RED:#} {BOLD}{}{BOLD:#}  {DIM}{}{DIM:#}",
                f.name, f.location
            );
            let _ = writeln!(out, "      why: {}", f.why);
            let _ = writeln!(out, "      fix: {}", f.fix);
        }
    }
    if let Some(error) = &audit.first_error {
        let _ = writeln!(out, "\n  the build failed in the crate itself:\n{error}");
    }
    if audit.findings.is_empty() && audit.builds {
        let _ = writeln!(out, "  nothing known to break in Workers was found");
    }
    out
}

/// The `checker size` report: totals, sections, the heaviest crates with what to do.
/// What `cargo lab size` measured, for `size`.
pub struct SizeReport<'a> {
    /// The deployed module's sizes.
    pub sizes: &'a crate::wasm_size::Sizes,
    /// The deployed module's sections, name section included.
    pub deployed_sections: &'a std::collections::BTreeMap<String, u64>,
    /// The whole upload as `wrangler deploy --dry-run` reported it, when it could run.
    pub upload: Option<&'a crate::wrangler::Upload>,
    /// Where the code comes from (before wasm-opt, with names).
    pub breakdown: &'a crate::wasm_size::Breakdown,
}

pub fn size(
    krate: &crate::course::CrateRef,
    lab: &crate::course::Lab,
    measured: &SizeReport,
    top: usize,
) -> String {
    // Long on purpose: `cargo lab size`'s report, written top to bottom.
    let SizeReport {
        sizes,
        deployed_sections,
        upload,
        breakdown,
    } = measured;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{BOLD}{}{BOLD:#} — the module `wrangler deploy` uploads (worker-build's build/index_bg.wasm)",
        krate.dir
    );
    let _ = writeln!(
        out,
        "  raw {} bytes · gzip -9 {} · brotli 11 {}",
        sizes.raw, sizes.gzip, sizes.brotli
    );
    if let Some(upload) = upload {
        let _ = writeln!(
            out,
            "  whole upload, as `wrangler deploy` reports it: {:.2} KiB / gzip: {:.2} KiB (the module and wrangler's {}-byte bundle of index.js)",
            upload.total_kib, upload.gzip_kib, upload.js_bytes
        );
    }
    if let Some(budget) = &lab.size {
        let ratio = sizes.raw as f64 / budget.baseline_bytes as f64;
        let _ = writeln!(
            out,
            "  {:.1} % of the starting point's {} bytes; full points at ≤ {:.0} %",
            ratio * 100.0,
            budget.baseline_bytes,
            budget.full_ratio * 100.0
        );
    }
    let _ = writeln!(out, "\n  sections, as deployed:");
    let mut sections: Vec<(&String, &u64)> = deployed_sections.iter().collect();
    sections.sort_by(|a, b| b.1.cmp(a.1));
    for (name, bytes) in sections.iter().take(8) {
        let _ = writeln!(out, "    {name:<22} {bytes:>9}");
    }
    // Shown when the names weigh something (over 5 % of the module), not for the few glue
    // names `strip = true` leaves.
    if let Some(names) = deployed_sections
        .get("custom:name")
        .filter(|n| **n * 20 > sizes.raw)
    {
        let _ = writeln!(
            out,
            "\n  {DIM}→ custom:name ({names} bytes) is the function names: worker-build keeps them (wasm-opt --debuginfo) so a panic's stack trace in `wrangler tail` names Rust functions; `strip = true` in the profile drops most of them, and those traces with them (book/src/deploy.md#names){DIM:#}"
        );
    }
    let data = deployed_sections.get("data").copied().unwrap_or(0);
    let module: u64 = deployed_sections.values().sum();
    if data * 4 > module {
        let _ = writeln!(
            out,
            "\n  {DIM}→ the data section is {} % of the module: tables compiled in (time zones, Unicode/IDNA, your own data) — drop the crate that brings them, or keep only what you use (book/src/labs/lab-3-size-reduction.md#data){DIM:#}",
            data * 100 / module.max(1)
        );
    }
    if !breakdown.named {
        let _ = writeln!(
            out,
            "\n  The module has no function names, so code cannot be attributed to crates.\n  (`strip = true` removes them; `strip = \"debuginfo\"` keeps them, in the deployed module's name section too.)"
        );
        return out;
    }
    let code = breakdown.code_bytes().max(1);
    let _ = writeln!(
        out,
        "\n  code by crate (function bodies, before wasm-opt{}):",
        if breakdown.from_named_copy {
            "; from a copy built with strip = \"debuginfo\", since this one has no names"
        } else {
            ""
        }
    );
    for (owner, bytes) in breakdown.crates.iter().take(top) {
        let share = *bytes as f64 * 100.0 / code as f64;
        let _ = writeln!(out, "    {owner:<30} {bytes:>9}  {share:>5.1} %");
        if let Some((hint, doc)) = crate::wasm_size::hint_for(owner) {
            let _ = writeln!(out, "      {DIM}→ {hint} (book/src/{doc}){DIM:#}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Budget, Environment, Evidence, Measure, SCHEMA_VERSION};

    fn check(id: &str, status: Status, points: f64, max_points: f64, message: &str) -> CheckResult {
        CheckResult {
            id: id.into(),
            category: if id == "build" {
                Category::Build
            } else {
                Category::Protocol
            },
            title: format!("{id} works"),
            status,
            points,
            max_points,
            measured: None,
            budget: None,
            message: message.into(),
            hint: None,
            doc: format!("labs/lab-4-full-server.md#{id}"),
            spec: None,
            evidence: None,
            duration_ms: None,
            location: None,
            failure_kind: None,
            task: None,
        }
    }

    fn report(checks: Vec<CheckResult>) -> Report {
        let score = checks.iter().map(|c| c.points).sum();
        let max_score = checks.iter().map(|c| c.max_points).sum();
        Report {
            schema_version: SCHEMA_VERSION,
            lab: "lab-4".into(),
            title: "Full MCP server".into(),
            target: "labs/lab-4-full-server".into(),
            solution: false,
            passed: checks.iter().all(|c| c.status == Status::Pass),
            score,
            max_score,
            checks,
            tasks: Vec::new(),
            environment: Environment {
                rustc: "rustc 1.95.0".into(),
                wasm_bindgen: "0.2.130".into(),
                workerd: "1.20260426.1".into(),
                node: "v20.20.2".into(),
            },
            duration_ms: 2345,
        }
    }

    fn protocol_miss() -> Report {
        let mut miss = check(
            "protocol.initialize",
            Status::Fail,
            0.0,
            2.0,
            "the reply does not match InitializeResult",
        );
        miss.hint = Some("Compare your reply with the schema.".into());
        miss.spec = Some("2025-11-25/basic/lifecycle#initialization".into());
        miss.evidence = Some(Evidence {
            request: r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#.into(),
            response: r#"HTTP 200 {"jsonrpc":"2.0","id":1,"result":{}}"#.into(),
            expected: Some("a result".into()),
            reproduce: "curl -si -X POST http://127.0.0.1:8787/mcp --data '{}'".into(),
        });
        let mut measured = check(
            "protocol.partial",
            Status::Fail,
            0.8,
            2.0,
            "2 of 5 cases right",
        );
        measured.measured = Some(Measure {
            value: 2.0,
            unit: "cases".into(),
        });
        measured.budget = Some(Budget {
            min: Some(5.0),
            max: None,
            unit: "cases".into(),
        });
        report(vec![
            check("build", Status::Pass, 1.0, 1.0, "built"),
            miss,
            measured,
        ])
    }

    fn plain(text: &str) -> String {
        anstream::adapter::strip_str(text).to_string()
    }

    #[test]
    fn the_next_step_is_the_first_task_not_done() {
        let mut r = report(vec![check("protocol.ping", Status::Fail, 0.0, 1.0, "no")]);
        r.tasks = vec![task("http", 2, 2), task("jsonrpc", 2, 1), task("kv", 3, 0)];
        let text = human(&r, Detail::NextTask);
        assert!(
            text.contains("\nnext: task 2/3 · the jsonrpc task · 1 of 2 checks passing · read book/src/labs/lab-4-full-server.md#jsonrpc\n"),
            "{text}"
        );
        r.tasks = vec![task("http", 2, 2)];
        assert!(!human(&r, Detail::NextTask).contains("next:"));
    }

    fn task(id: &str, checks: usize, passing: usize) -> crate::report::TaskProgress {
        crate::report::TaskProgress {
            id: id.into(),
            title: format!("the {id} task"),
            doc: format!("book/src/labs/lab-4-full-server.md#{id}"),
            checks,
            passing,
        }
    }

    /// Three tasks: `http` done, `jsonrpc` half done (its miss has evidence), `tools` not
    /// started (its miss has evidence too), and a finding about the whole run.
    fn tasked() -> Report {
        let with_task = |mut c: CheckResult, task: &str| {
            c.task = Some(task.into());
            c
        };
        let evidence = |sent: &str| Evidence {
            request: sent.into(),
            response: "HTTP 200 {}".into(),
            expected: Some("an error".into()),
            reproduce: "curl …".into(),
        };
        let mut errors = check(
            "protocol.jsonrpc-errors",
            Status::Fail,
            0.0,
            2.0,
            "0 of 7 cases right; malformed JSON: HTTP 500",
        );
        errors.evidence = Some(evidence("{\"jsonrpc\":"));
        let mut tools = check(
            "protocol.tools-kv",
            Status::Fail,
            0.0,
            2.0,
            "0 of 10 cases right; store_value writes KV: no content",
        );
        tools.evidence = Some(evidence("tools/call store_value"));
        let mut hangs = check(
            "runtime.hangs",
            Status::Fail,
            0.0,
            0.0,
            "workerd cancelled 1 of 9 requests",
        );
        hangs.category = Category::Robustness;
        hangs.evidence = Some(evidence("[[[["));
        let mut r = report(vec![
            check("integrity", Status::Pass, 0.0, 0.0, "unchanged"),
            with_task(check("build", Status::Pass, 1.0, 1.0, "built"), "http"),
            with_task(
                check("protocol.ping", Status::Pass, 1.0, 1.0, "answers"),
                "jsonrpc",
            ),
            with_task(errors, "jsonrpc"),
            with_task(tools, "tools"),
            hangs,
        ]);
        r.checks[0].category = Category::Integrity;
        r.tasks = vec![
            task("http", 1, 1),
            task("jsonrpc", 2, 1),
            task("tools", 1, 0),
        ];
        r
    }

    #[test]
    fn human_shows_evidence_for_the_current_task_only() {
        let text = plain(&human(&tasked(), Detail::NextTask));
        assert_eq!(text.matches("sent:").count(), 1, "{text}");
        assert!(text.contains("sent:      {\"jsonrpc\":"), "{text}");
        assert!(
            !text.contains("  ✔ build"),
            "a task done while another is not folds to its line:\n{text}"
        );
        assert!(text.contains("0 of 1 check passing"), "{text}");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn human_all_shows_every_miss_with_its_evidence() {
        let text = plain(&human(&tasked(), Detail::All));
        assert_eq!(text.matches("sent:").count(), 3, "{text}");
        assert!(text.contains("  ✔ build"), "{text}");
        assert!(!text.contains("--all"), "{text}");
    }

    #[test]
    fn watch_moves_on_to_the_next_task_with_its_evidence() {
        let before = tasked();
        let mut after = tasked();
        for c in &mut after.checks {
            if c.id == "protocol.jsonrpc-errors" {
                c.status = Status::Pass;
                c.points = 2.0;
                c.evidence = None;
            }
        }
        after.tasks[1].passing = 2;
        let text = plain(&changes(&before, &after));
        assert!(text.contains("now task 3/3 · the tools task"), "{text}");
        assert!(
            text.contains("sent:      tools/call store_value"),
            "the new task's miss did not move, and is shown with its evidence:\n{text}"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn ci_formats_carry_every_check_and_its_task() {
        let report = tasked();
        let xml = junit(&[&report]);
        assert_eq!(xml.matches("<testcase ").count(), 6);
        assert!(
            xml.contains(r#"<property name="task" value="jsonrpc"/>"#),
            "{xml}"
        );
        let rendered = github(&report);
        assert!(
            rendered
                .annotations
                .contains("title=lab-4 task 2/3 jsonrpc protocol.jsonrpc-errors%3A 0/2 points"),
            "{}",
            rendered.annotations
        );
        assert!(
            rendered
                .summary
                .contains("| ❌ | 3/3 tools | `protocol.tools-kv` |"),
            "{}",
            rendered.summary
        );
        let json: Report = serde_json::from_str(&json(&report)).unwrap();
        assert_eq!(json.checks[3].task.as_deref(), Some("jsonrpc"));
    }

    #[test]
    fn a_one_line_mention_stops_at_the_tally() {
        assert_eq!(
            short("0 of 7 cases right; malformed JSON: HTTP 500"),
            "0 of 7 cases right"
        );
        assert_eq!(
            short("the wasm tests did not run:"),
            "the wasm tests did not run"
        );
        assert_eq!(short(&"x".repeat(200)).chars().count(), 90);
    }

    /// Two checks, both passing.
    fn all_passing() -> Report {
        report(vec![
            check("build", Status::Pass, 1.0, 1.0, "built"),
            check(
                "protocol.initialize",
                Status::Pass,
                2.0,
                2.0,
                "answered 2025-11-25",
            ),
        ])
    }

    #[test]
    fn human_all_passing() {
        let report = all_passing();
        insta::assert_snapshot!(plain(&human(&report, Detail::NextTask)));
    }

    #[test]
    fn human_protocol_miss_shows_evidence_hint_and_partial_credit() {
        insta::assert_snapshot!(plain(&human(&protocol_miss(), Detail::NextTask)));
    }

    fn build_error() -> Report {
        let mut build = check("build", Status::Error, 0.0, 1.0, "labs/lab-4-full-server does not compile for wasm32:\nerror[E0425]: cannot find value `x`\n --> labs/lab-4-full-server/src/lib.rs:3:5");
        build.hint = Some("Fix the error above.".into());
        build.location = Some(crate::report::Location {
            path: "labs/lab-4-full-server/src/lib.rs".into(),
            line: Some(3),
        });
        report(vec![
            build,
            check(
                "protocol.initialize",
                Status::Skipped,
                0.0,
                2.0,
                "not run: there is no built Worker to run",
            ),
        ])
    }

    #[test]
    fn human_build_error_skips_the_rest() {
        let report = build_error();
        assert_eq!(report.exit_code(), 2);
        insta::assert_snapshot!(plain(&human(&report, Detail::NextTask)));
    }

    #[test]
    fn junit_protocol_miss_has_a_testcase_per_check_and_points() {
        let xml = junit(&[&protocol_miss()]);
        assert_eq!(xml.matches("<testcase ").count(), 3);
        insta::assert_snapshot!(xml);
    }

    /// The protocol miss with its checks in two lab tasks (`build` in the first), as a real
    /// report has them.
    fn protocol_miss_with_tasks() -> Report {
        let mut report = protocol_miss();
        let task = |id: &str, checks: usize, passing: usize| crate::report::TaskProgress {
            id: id.into(),
            title: format!("the {id} task"),
            doc: "book/src/labs/lab-4-full-server.md".into(),
            checks,
            passing,
        };
        report.tasks = vec![task("http", 1, 1), task("lifecycle", 2, 0)];
        for (i, check) in report.checks.iter_mut().enumerate() {
            check.task = Some(if i == 0 { "http" } else { "lifecycle" }.into());
        }
        report
    }

    #[test]
    fn exercism_protocol_miss_is_a_fail_with_a_test_per_check_in_order() {
        let report = protocol_miss_with_tasks();
        let results = exercism::results(&report);
        assert_eq!(results.version, 3);
        assert_eq!(results.status, exercism::Outcome::Fail);
        assert_eq!(results.message, None, "a message only for status error");
        let names: Vec<&str> = results.tests.iter().map(|t| t.name.as_str()).collect();
        let ids: Vec<String> = report
            .checks
            .iter()
            .map(|c| format!("{}: {}", c.id, c.title))
            .collect();
        assert_eq!(names, ids, "tests in the lab's order");
        let tasks: Vec<Option<usize>> = results.tests.iter().map(|t| t.task_id).collect();
        assert_eq!(tasks, [Some(1), Some(2), Some(2)]);
        for test in &results.tests {
            assert_eq!(
                test.message.is_some(),
                test.status != exercism::Outcome::Pass,
                "{test:?}"
            );
        }
        insta::assert_snapshot!(exercism(&report));
    }

    #[test]
    fn exercism_all_passing_is_a_pass_without_messages() {
        let report = all_passing();
        let results = exercism::results(&report);
        assert_eq!(results.status, exercism::Outcome::Pass);
        assert!(results
            .tests
            .iter()
            .all(|t| t.message.is_none() && t.task_id.is_none()));
        insta::assert_snapshot!(exercism(&report));
    }

    #[test]
    fn exercism_build_error_is_an_error_with_the_compiler_message() {
        let results = exercism::results(&build_error());
        assert_eq!(results.status, exercism::Outcome::Error);
        let message = results
            .message
            .as_deref()
            .expect("required when status is error");
        assert!(
            message.contains("error[E0425]: cannot find value `x`"),
            "{message}"
        );
        assert!(results
            .tests
            .iter()
            .all(|t| t.status == exercism::Outcome::Error));
        insta::assert_snapshot!(exercism(&build_error()));
    }

    #[test]
    fn junit_build_error_marks_the_rest_skipped() {
        insta::assert_snapshot!(junit(&[&build_error()]));
    }

    #[test]
    fn github_protocol_miss_annotates_the_server_and_summarises() {
        let rendered = github(&protocol_miss());
        // One annotation per check that does not pass, each a single line.
        assert_eq!(rendered.annotations.lines().count(), 2);
        assert!(rendered
            .annotations
            .lines()
            .all(|l| l.starts_with("::error file=labs/lab-4-full-server/src/lib.rs,")));
        insta::assert_snapshot!(format!(
            "{}\n---- step summary ----\n{}",
            rendered.annotations, rendered.summary
        ));
    }

    #[test]
    fn github_build_error_points_at_the_compiler_error() {
        let rendered = github(&build_error());
        assert!(rendered
            .annotations
            .starts_with("::error file=labs/lab-4-full-server/src/lib.rs,line=3,"));
        insta::assert_snapshot!(format!(
            "{}\n---- step summary ----\n{}",
            rendered.annotations, rendered.summary
        ));
    }

    #[test]
    fn json_protocol_miss() {
        let report = protocol_miss();
        assert_eq!(report.exit_code(), 1);
        let text = json(&report);
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back, report,
            "the JSON report reads back into the same result"
        );
        insta::assert_snapshot!(text);
    }
}
