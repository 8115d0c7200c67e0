//! `checker hint <lab>`: hints tiered by what actually failed in the student's last graded run
//! (from the state file). The first tier says what kind of failure it is and how to approach
//! that kind; the next tiers come from the course's `hints.toml` next to the lab's manifest,
//! one more each time the student asks. Every tier names the book section.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::course::Lab;
use crate::report::{FailureKind as Kind, Status};
use crate::student_progress::{self, CheckSummary};

/// What kind of failure a check met: as the check recorded it, or (a state file written
/// before kinds were recorded) by its category and budget.
pub fn classify(check: &CheckSummary) -> Kind {
    check.failure_kind.unwrap_or_else(|| {
        Kind::by_category(
            check.category,
            check.status == Status::Error,
            check.budgeted,
        )
    })
}

/// The first tier: what kind of failure this is, and how to work on that kind.
fn first_tier(kind: Kind) -> &'static str {
    match kind {
        Kind::Integrity => "A file that belongs to the course changed (a graded test, a budget, the checker). Restore it with the command the report gives; your grade never comes from a changed course file.",
        Kind::MissingWasmFeature => "A dependency refuses to build for wasm32-unknown-unknown as it is configured: either it needs a feature or backend chosen for wasm32 (getrandom's `wasm_js`), or a feature of another crate pulls it in and wasm32 cannot have it at all (tokio's `net` brings mio). The crate in the error is rarely one you named: `cargo tree -i NAME --target wasm32-unknown-unknown` (with `--manifest-path` for a crate that is its own workspace) shows who brings it in, through which feature, and at which version.",
        Kind::CompileError => "The compiler stopped. Read only the first error: its `-->` line names the file and line. An error inside a dependency (a path under ~/.cargo/registry) is fixed in your Cargo.toml, not in that file.",
        Kind::RuntimeTrap => "It compiled, then panicked inside the wasm instance. The Rust panic message (printed before `RuntimeError: unreachable`) names what gave up: often a std API that exists on wasm32 only to fail. Find its call in your sources.",
        Kind::BudgetMiss => "It works, but costs more than the budget. Measure before changing anything, change one thing at a time, and measure again: the report prints the measurement against the budget each run.",
        Kind::ProtocolError => "A reply is not what the protocol asks for. Run the `reproduce:` line from `cargo lab check` against `cargo lab serve`, compare the reply with the report's `expected:` line (and the spec section, when the report names one), and fix the first case that fails before the others.",
        Kind::Other => "Read the check's message and hint in `cargo lab check`: they say what was expected and what happened.",
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Integrity => "a changed course file",
        Kind::MissingWasmFeature => "a dependency that needs a wasm32 feature",
        Kind::CompileError => "a compile error",
        Kind::RuntimeTrap => "a run-time trap",
        Kind::BudgetMiss => "a budget miss",
        Kind::ProtocolError => "a protocol error",
        Kind::Other => "a failed check",
    }
}

/// `checker/labs/<lab>/hints.toml`: the course's further hints per check, gentlest first.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hints {
    #[serde(default)]
    check: Vec<CheckHints>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckHints {
    id: String,
    tiers: Vec<String>,
}

fn course_hints(lab: &Lab, id: &str) -> Result<Vec<String>> {
    let file = lab.manifest_dir.join("hints.toml");
    let hints: Hints = match std::fs::read_to_string(&file) {
        Ok(text) => {
            toml::from_str(&text).with_context(|| format!("{} is not valid", file.display()))?
        }
        Err(_) => Hints::default(),
    };
    Ok(hints
        .check
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.tiers)
        .unwrap_or_default())
}

/// Every tier of a check's hints: the first by kind (with the report's own hint), then the
/// course's.
fn tiers(lab: &Lab, check: &CheckSummary) -> Result<Vec<String>> {
    let kind = classify(check);
    let mut first = format!(
        "What failed: {} in `{}`.\n{}",
        kind_name(kind),
        check.id,
        first_tier(kind)
    );
    if let Some(hint) = &check.hint {
        first.push_str(&format!("\nThe check's own hint: {hint}"));
    }
    let mut all = vec![first];
    all.extend(course_hints(lab, &check.id)?);
    Ok(all)
}

/// Shows the next hint for the first check of the last run that did not pass, in the order
/// to work in (the current task's first miss).
pub fn run(root: &Path, lab: &Lab) -> Result<String> {
    let mut state = student_progress::load(root);
    let entry = state.labs.entry(lab.id.clone()).or_default();
    let Some(last) = entry.last.clone() else {
        return Ok(format!(
            "{} has not been graded yet: run `cargo lab check {}` first; hints follow what it finds.\n",
            lab.id, lab.id
        ));
    };
    // The first miss in the order to work in: the current task's (a state file written
    // before reports were in that order is read in it too).
    let Some(check) = last
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .min_by_key(|c| lab.work_position(&c.id, c.category))
    else {
        return Ok(format!(
            "{} passed every check the last time it was graded ({}/{}). Nothing to hint at; compare with solutions/ if you are curious.\n",
            lab.id,
            crate::render::points(last.score),
            crate::render::points(last.max_score)
        ));
    };
    let all = tiers(lab, check)?;
    let shown = entry.hints_shown.get(&check.id).copied().unwrap_or(0);
    let index = shown.min(all.len() - 1);
    entry
        .hints_shown
        .insert(check.id.clone(), (index + 1).min(all.len()));
    student_progress::save(root, &state)?;
    let more = if index + 1 < all.len() {
        format!(
            "(hint {} of {}; `cargo lab hint {}` again for the next)",
            index + 1,
            all.len(),
            lab.id
        )
    } else {
        format!(
            "(hint {} of {}: the last one for this check)",
            index + 1,
            all.len()
        )
    };
    let task = lab
        .task_of(&check.id)
        .map_or_else(String::new, |(i, task)| {
            format!("task {}/{} · {} · ", i + 1, lab.tasks.len(), task.title)
        });
    Ok(format!(
        "{} · {task}{} {more}\n\n{}\n\nRead: book/src/{}\n",
        lab.id, check.id, all[index], check.doc
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::Category;

    fn summary(id: &str, category: Category, status: Status, kind: Option<Kind>) -> CheckSummary {
        CheckSummary {
            id: id.into(),
            category,
            status,
            points: 0.0,
            max_points: 1.0,
            message: "whatever the check said".into(),
            hint: None,
            doc: String::new(),
            budgeted: false,
            failure_kind: kind,
        }
    }

    #[test]
    fn a_recorded_kind_decides_and_without_one_the_category_and_budget_do() {
        // Long on purpose: a table of cases, one row each.
        use Category::*;
        let cases = [
            // (check, category, status, recorded kind, budgeted) → kind
            (
                "tests.wasm",
                Tests,
                Status::Fail,
                Some(Kind::RuntimeTrap),
                false,
                Kind::RuntimeTrap,
            ),
            (
                "build.wasm32",
                Build,
                Status::Fail,
                Some(Kind::MissingWasmFeature),
                false,
                Kind::MissingWasmFeature,
            ),
            (
                "build",
                Build,
                Status::Error,
                None,
                false,
                Kind::CompileError,
            ),
            (
                "memory.peak",
                Memory,
                Status::Fail,
                None,
                true,
                Kind::BudgetMiss,
            ),
            (
                "protocol.ping",
                Protocol,
                Status::Fail,
                None,
                false,
                Kind::ProtocolError,
            ),
            (
                "integrity",
                Integrity,
                Status::Fail,
                None,
                false,
                Kind::Integrity,
            ),
            (
                "audit.report",
                Audit,
                Status::Fail,
                None,
                false,
                Kind::Other,
            ),
        ];
        for (id, category, status, recorded, budgeted, kind) in cases {
            let mut check = summary(id, category, status, recorded);
            check.budgeted = budgeted;
            assert_eq!(classify(&check), kind, "{id}");
        }
    }

    #[test]
    fn every_kind_has_a_first_tier_and_a_name() {
        for kind in [
            Kind::Integrity,
            Kind::MissingWasmFeature,
            Kind::CompileError,
            Kind::RuntimeTrap,
            Kind::BudgetMiss,
            Kind::ProtocolError,
            Kind::Other,
        ] {
            assert!(!first_tier(kind).is_empty() && !kind_name(kind).is_empty());
        }
    }

    #[test]
    fn every_hints_file_is_valid_and_names_checks_its_lab_has() {
        let root = crate::course::root();
        for lab in crate::course::labs(&root).unwrap() {
            let file = lab.manifest_dir.join("hints.toml");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let hints: Hints =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            for c in hints.check {
                assert!(
                    lab.checks.iter().any(|s| s.id == c.id),
                    "{}: no check {} in {}",
                    file.display(),
                    c.id,
                    lab.id
                );
                assert!(
                    !c.tiers.is_empty(),
                    "{}: {} has no tiers",
                    file.display(),
                    c.id
                );
            }
        }
    }
}
