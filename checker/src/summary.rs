//! `checker summary`: a whole class's JSON reports as one table for the instructor — in
//! Markdown to read, or in CSV to import into a gradebook (one column of points per check).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::render::points;
use crate::report::{Report, Status, SCHEMA_VERSION};

/// One report, named after its file (`results/alice/lab-1.json` → `results/alice/lab-1`).
pub struct Entry {
    pub name: String,
    pub report: Report,
}

/// Reads every report; a file that is not a report is an error naming it, so a class's
/// table never silently misses a student.
pub fn load(files: &[PathBuf]) -> Result<Vec<Entry>> {
    if files.is_empty() {
        bail!("no reports given: `cargo lab summary results/*.json`");
    }
    let mut entries = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let report: Report = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a checker JSON report (schema_version {SCHEMA_VERSION})",
                file.display()
            )
        })?;
        entries.push(Entry {
            name: name(file),
            report,
        });
    }
    entries.sort_by(|a, b| (&a.report.lab, &a.name).cmp(&(&b.report.lab, &b.name)));
    Ok(entries)
}

fn name(file: &Path) -> String {
    file.with_extension("").to_string_lossy().replace('\\', "/")
}

/// The class as Markdown: one row per report, then per lab how many reports pass each check.
pub fn markdown(entries: &[Entry]) -> String {
    let mut out = String::new();
    let passed = entries.iter().filter(|e| e.report.passed).count();
    let _ = writeln!(
        out,
        "## Class results: {} reports, {passed} passing\n",
        entries.len()
    );
    out.push_str("| report | lab | score | % | checks passing | not passing |\n");
    out.push_str("|---|---|--:|--:|--:|---|\n");
    for entry in entries {
        let r = &entry.report;
        let missing: Vec<&str> = r
            .checks
            .iter()
            .filter(|c| c.status != Status::Pass)
            .map(|c| c.id.as_str())
            .collect();
        let _ = writeln!(
            out,
            "| {} | {}{} | {} / {} | {:.1} | {} / {} | {} |",
            entry.name,
            r.lab,
            if r.solution { " (solution)" } else { "" },
            points(r.score),
            points(r.max_score),
            percent(r.score, r.max_score),
            r.checks.len() - missing.len(),
            r.checks.len(),
            if missing.is_empty() {
                "—".to_owned()
            } else {
                missing
                    .iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    for (lab, stats) in per_check(entries) {
        let _ = writeln!(out, "\n### {lab}: each check across the class\n");
        out.push_str("| check | reports passing | mean points |\n|---|--:|--:|\n");
        for (id, stat) in stats {
            let _ = writeln!(
                out,
                "| `{id}` | {} / {} | {} / {} |",
                stat.passing,
                stat.reports,
                points((stat.points / stat.reports as f64 * 100.0).round() / 100.0),
                points(stat.max_points)
            );
        }
    }
    out
}

/// The class as CSV: one row per report, and one column of points per check id (empty when a
/// report's lab has no such check).
pub fn csv(entries: &[Entry]) -> Result<String> {
    let mut ids: Vec<String> = Vec::new();
    for entry in entries {
        for check in &entry.report.checks {
            if !ids.contains(&check.id) {
                ids.push(check.id.clone());
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "report",
        "lab",
        "solution",
        "score",
        "max_score",
        "percent",
        "passed",
    ];
    header.extend(ids.iter().map(String::as_str));
    writer.write_record(&header)?;
    for entry in entries {
        let r = &entry.report;
        let mut row = vec![
            entry.name.clone(),
            r.lab.clone(),
            r.solution.to_string(),
            points(r.score),
            points(r.max_score),
            format!("{:.1}", percent(r.score, r.max_score)),
            r.passed.to_string(),
        ];
        for id in &ids {
            row.push(
                r.checks
                    .iter()
                    .find(|c| &c.id == id)
                    .map(|c| points(c.points))
                    .unwrap_or_default(),
            );
        }
        writer.write_record(&row)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

fn percent(score: f64, max: f64) -> f64 {
    if max > 0.0 {
        100.0 * score / max
    } else {
        0.0
    }
}

#[derive(Default)]
struct CheckStat {
    reports: usize,
    passing: usize,
    points: f64,
    max_points: f64,
}

/// Per lab, per check in the order the lab runs them: how the class did.
fn per_check(entries: &[Entry]) -> BTreeMap<&str, Vec<(&str, CheckStat)>> {
    let mut labs: BTreeMap<&str, Vec<(&str, CheckStat)>> = BTreeMap::new();
    for entry in entries {
        let stats = labs.entry(entry.report.lab.as_str()).or_default();
        for check in &entry.report.checks {
            let at = match stats.iter().position(|(id, _)| *id == check.id) {
                Some(i) => i,
                None => {
                    stats.push((check.id.as_str(), CheckStat::default()));
                    stats.len() - 1
                }
            };
            let stat = &mut stats[at].1;
            stat.reports += 1;
            stat.passing += usize::from(check.status == Status::Pass);
            stat.points += check.points;
            stat.max_points = check.max_points;
        }
    }
    labs
}
