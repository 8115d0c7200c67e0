//! Renderings of a [`Report`]. Every format reads the same result.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::report::{CheckResult, Report, Status};

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

/// The report for a person: one line per check with points, then the details of each miss.
/// Styles are ANSI codes; the caller's stream drops them when it is not a terminal.
pub fn human(report: &Report) -> String {
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
    for check in &report.checks {
        let (mark, style) = match check.status {
            Status::Pass => ("✔", GREEN),
            Status::Fail => ("✘", RED),
            Status::Error => ("!", RED),
            Status::Skipped => ("-", DIM),
        };
        let _ = writeln!(
            out,
            "  {style}{mark}{style:#} {:<width$}  {:>5}/{:<5} {}",
            check.id,
            points(check.points),
            points(check.max_points),
            summary_line(check),
        );
        if check.status != Status::Pass {
            details(&mut out, check);
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
        format!(
            "{RED}{failing} of {} checks not passing{RED:#}",
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
    out
}

fn points(p: f64) -> String {
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

fn details(out: &mut String, check: &CheckResult) {
    let pad = "      ";
    for line in check.message.lines().skip(1) {
        let _ = writeln!(out, "{pad}{line}");
    }
    if let Some(hint) = &check.hint {
        let _ = writeln!(out, "{pad}{YELLOW}hint:{YELLOW:#} {hint}");
    }
    if let Some(evidence) = &check.evidence {
        let _ = writeln!(out, "{pad}{DIM}sent:{DIM:#}      {}", evidence.request);
        let _ = writeln!(out, "{pad}{DIM}got:{DIM:#}       {}", evidence.response);
        let _ = writeln!(
            out,
            "{pad}{DIM}reproduce:{DIM:#} `cargo lab serve <lab>`, then {}",
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
