//! Mutation testing of the reference solutions (`checker mutants`): does the grader fail a
//! solution with one small bug in it? Each mutant — cargo-mutants' list for the solution's
//! `src/`, plus the course's hand-written ones — is put into a scratch copy of the course and
//! graded there with `checker check <lab> --solution`, exactly as a student's lab is graded.
//! cargo-mutants' own `cargo test` phase cannot do this: the graded behaviour is the Worker's
//! in workerd, not the crate's unit tests.

pub mod catalog;
pub mod record;
pub mod scratch;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use catalog::Mutant;
use record::{LabRecord, Outcome, Tried};
use scratch::{Scratch, Snapshot};

use crate::course::{self, Lab};
use crate::report::Report;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Labs to run (names `checker check` accepts); empty for every lab.
    pub labs: Vec<String>,
    /// Mutants graded at once, each in its own scratch copy and target directory.
    pub jobs: usize,
    /// Stop starting mutants after this long; the record is then marked incomplete.
    pub budget: Option<Duration>,
    /// The most one mutant's grade may take.
    pub timeout: Duration,
    /// Only mutants whose key contains one of these texts (all when empty).
    pub only: Vec<String>,
    /// Only the fixed sample of `checker/mutants/sample.toml` (what `cargo test` runs).
    pub sample: bool,
}

/// `checker/mutants/sample.toml`: a few mutants across the labs that must be caught.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sample {
    sample: Vec<SampleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleEntry {
    /// The lab id.
    lab: String,
    /// The mutant's key.
    mutant: String,
}

/// A lab's mutants, as they will be graded.
struct Planned {
    lab: Lab,
    mutants: Vec<Mutant>,
    /// Every mutant the lab has, filtered or not (to tell a stale baseline entry).
    listed: Vec<String>,
    complete_selection: bool,
    /// The keys the course's baseline explains as equivalent.
    equivalent: HashSet<String>,
}

/// Runs the mutants and writes each lab's record; exit status 0 when every survivor is an
/// explained equivalent, 1 otherwise.
pub fn run(root: &Path, options: &Options) -> Result<i32> {
    let cargo_mutants = crate::bootstrap::ensure_cargo_mutants(root)?;
    crate::bootstrap::ensure(root)?;
    let plans = plan(root, &cargo_mutants, options)?;
    let total: usize = plans.iter().map(|p| p.mutants.len()).sum();
    eprintln!(
        "grading {total} mutants of {} with {} job(s); each must fail `checker check <lab> --solution`",
        plans.iter().map(|p| p.lab.id.as_str()).collect::<Vec<_>>().join(", "),
        options.jobs.max(1)
    );
    let snapshot = Snapshot::take(root, &crate::pipeline::target_dir(root).join("mutants"))?;
    let started = Instant::now();
    let deadline = options.budget.map(|b| started + b);
    let mut ok = true;
    let mut done = 0;
    // One lab at a time, its record written as soon as it is done: a run stopped halfway
    // keeps the labs it finished.
    for plan in &plans {
        let lab_started = Instant::now();
        let graded = grade_all(root, &snapshot, plan, options, deadline, (done, total))?;
        done += graded.len();
        let (record, verdict) = lab_record(root, plan, &graded, lab_started.elapsed())?;
        print_lab(&record, &verdict, plan, root);
        ok &= verdict.ok();
        let path = record_path(root, &plan.lab, record.complete);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, serde_json::to_string_pretty(&record)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("  record: {}", path.display());
    }
    eprintln!(
        "mutation run took {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(if ok { 0 } else { 1 })
}

/// The book's generated page of the committed records (see `record::score_page`).
pub fn score_page(root: &Path) -> Result<String> {
    let mut records = Vec::new();
    let mut equivalents = Vec::new();
    for lab in course::labs(root)? {
        let path = record_path(root, &lab, true);
        if let Ok(text) = std::fs::read_to_string(&path) {
            records.push(
                serde_json::from_str::<LabRecord>(&text)
                    .with_context(|| format!("{} is not a mutation record", path.display()))?,
            );
        }
        equivalents.push((
            lab.id.clone(),
            catalog::course_mutants(root, &lab)?.equivalent,
        ));
    }
    Ok(record::score_page(&records, &equivalents))
}

/// Where a lab's record goes: committed (`checker/mutants/runs/`) only for a complete run,
/// so a partial one never replaces the last full result.
fn record_path(root: &Path, lab: &Lab, complete: bool) -> PathBuf {
    let name = catalog::course_file(root, lab)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| lab.id.clone());
    if complete {
        root.join("checker/mutants/runs")
            .join(format!("{name}.json"))
    } else {
        crate::pipeline::target_dir(root)
            .join("mutants")
            .join(format!("{name}.partial.json"))
    }
}

fn plan(root: &Path, cargo_mutants: &Path, options: &Options) -> Result<Vec<Planned>> {
    let labs: Vec<Lab> = if options.labs.is_empty() {
        course::labs(root)?
    } else {
        options
            .labs
            .iter()
            .map(|name| course::find(root, name))
            .collect::<Result<_>>()?
    };
    let sample = if options.sample {
        let path = root.join("checker/mutants/sample.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Some(
            toml::from_str::<Sample>(&text)
                .with_context(|| format!("{} is not valid", path.display()))?,
        )
    } else {
        None
    };
    let mut plans = Vec::new();
    for lab in labs {
        let mut all = catalog::list(cargo_mutants, root, &lab)?;
        // Every mutant must apply to the solution as it is now, before anything is graded.
        for mutant in &mut all {
            let path = root.join(&lab.solution.dir).join(&mutant.file);
            let original = std::fs::read_to_string(&path)
                .with_context(|| format!("{}: cannot read {}", mutant.key, path.display()))?;
            mutant.apply(&original)?;
            mutant.locate(&original);
        }
        let listed: Vec<String> = all.iter().map(|m| m.key.clone()).collect();
        let mut mutants = all;
        if let Some(sample) = &sample {
            let wanted: HashSet<&str> = sample
                .sample
                .iter()
                .filter(|s| lab.answers_to(&s.lab))
                .map(|s| s.mutant.as_str())
                .collect();
            for key in &wanted {
                if !listed.iter().any(|k| k == key) {
                    bail!("checker/mutants/sample.toml names {key:?} in {}, which has no such mutant now; pick another from `checker mutants {} --list`", lab.id, lab.id);
                }
            }
            mutants.retain(|m| wanted.contains(m.key.as_str()));
        }
        if !options.only.is_empty() {
            mutants.retain(|m| options.only.iter().any(|o| m.key.contains(o.as_str())));
        }
        if mutants.is_empty() {
            continue;
        }
        let complete_selection = mutants.len() == listed.len();
        let equivalent = catalog::course_mutants(root, &lab)?
            .equivalent
            .into_iter()
            .map(|e| e.mutant)
            .collect();
        plans.push(Planned {
            lab,
            mutants,
            listed,
            complete_selection,
            equivalent,
        });
    }
    if plans.is_empty() {
        bail!(
            "no mutant matches {}; `checker mutants --list` shows their names",
            options
                .only
                .iter()
                .map(|o| format!("--only {o:?}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    Ok(plans)
}

/// Prints every mutant of the chosen labs, one key per line, with the change in full.
pub fn list(root: &Path, options: &Options) -> Result<i32> {
    let cargo_mutants = crate::bootstrap::ensure_cargo_mutants(root)?;
    for plan in plan(root, &cargo_mutants, options)? {
        for mutant in &plan.mutants {
            println!(
                "{}\t{}\t{}:{}",
                plan.lab.id, mutant.key, mutant.file, mutant.line
            );
        }
    }
    Ok(0)
}

/// The graded mutants, by lab id and key.
type Graded = BTreeMap<(String, String), Tried>;

fn grade_all(
    root: &Path,
    snapshot: &Snapshot,
    plan: &Planned,
    options: &Options,
    deadline: Option<Instant>,
    (before, total): (usize, usize),
) -> Result<Graded> {
    let plans = std::slice::from_ref(plan);
    let queue: Mutex<VecDeque<(usize, usize)>> = Mutex::new(
        plans
            .iter()
            .enumerate()
            .flat_map(|(p, plan)| (0..plan.mutants.len()).map(move |m| (p, m)))
            .collect(),
    );
    let graded: Mutex<Graded> = Mutex::new(BTreeMap::new());
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for job in 0..options.jobs.max(1) {
            let (queue, graded, failure) = (&queue, &graded, &failure);
            scope.spawn(move || {
                let result = run_job(
                    root,
                    snapshot,
                    plans,
                    options,
                    job,
                    deadline,
                    (before, total),
                    queue,
                    graded,
                );
                if let Err(error) = result {
                    // Any error stops every job: a setup that failed (the unmutated solution
                    // does not pass) or a file that could not be restored.
                    queue.lock().unwrap().clear();
                    failure.lock().unwrap().get_or_insert(error);
                }
            });
        }
    });
    if let Some(error) = failure.into_inner().unwrap() {
        return Err(error);
    }
    Ok(graded.into_inner().unwrap())
}

#[allow(clippy::too_many_arguments)]
fn run_job(
    root: &Path,
    snapshot: &Snapshot,
    plans: &[Planned],
    options: &Options,
    job: usize,
    deadline: Option<Instant>,
    (before, total): (usize, usize),
    queue: &Mutex<VecDeque<(usize, usize)>>,
    graded: &Mutex<Graded>,
) -> Result<()> {
    let scratch = Scratch::new(
        snapshot,
        &crate::pipeline::target_dir(root).join("mutants"),
        job,
    )?;
    let mut checked: HashSet<usize> = HashSet::new();
    loop {
        if crate::processes::interrupted() || deadline.is_some_and(|d| Instant::now() > d) {
            return Ok(());
        }
        let Some((p, m)) = queue.lock().unwrap().pop_front() else {
            return Ok(());
        };
        let plan = &plans[p];
        if checked.insert(p) {
            unmutated_passes(&scratch, &plan.lab)?;
        }
        let mutant = &plan.mutants[m];
        let started = Instant::now();
        let (outcome, report) = {
            let _applied = scratch.apply(&plan.lab.solution, mutant)?;
            grade(&scratch, &plan.lab, options.timeout)?
        };
        // A hand-written mutant that stops the build is the mistake it names (a wasm feature
        // left out), so the build checks caught it; cargo-mutants' type errors prove nothing.
        let outcome = match (&mutant.origin, outcome) {
            (
                catalog::Origin::Hand {
                    breaks_build: true, ..
                },
                Outcome::Unviable,
            ) => Outcome::Caught {
                by: report.as_ref().map(record::not_passed).unwrap_or_default(),
            },
            (catalog::Origin::Hand { .. }, Outcome::Unviable) => Outcome::CheckerError {
                detail: "this hand-written mutant does not compile: fix its `replace` (or set breaks_build = true if stopping the build is the mistake)".into(),
            },
            (_, outcome) => outcome,
        };
        let tried = Tried {
            mutant: mutant.key.clone(),
            line: mutant.line,
            origin: mutant.origin.clone(),
            outcome,
            seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        };
        let done = {
            let mut graded = graded.lock().unwrap();
            graded.insert((plan.lab.id.clone(), mutant.key.clone()), tried.clone());
            before + graded.len()
        };
        let word = match &tried.outcome {
            Outcome::Survived if plan.equivalent.contains(&tried.mutant) => "equivalent",
            outcome => outcome_word(outcome),
        };
        eprintln!(
            "[{done:>3}/{total}] {word:<13} {} {} ({:.1} s){}",
            plan.lab.id,
            tried.mutant,
            tried.seconds,
            match &tried.outcome {
                Outcome::Caught { by } => format!(" by {}", by.join(", ")),
                _ => String::new(),
            }
        );
    }
}

fn outcome_word(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Caught { .. } => "caught",
        Outcome::Survived => "SURVIVED",
        Outcome::Unviable => "unviable",
        Outcome::TimedOut => "timed out",
        Outcome::CheckerError { .. } => "CHECKER ERROR",
    }
}

/// The scratch copy's solution must pass as it is, or no mutant's grade means anything. The
/// first grade of a lab also builds its dependencies into the job's target directory.
fn unmutated_passes(scratch: &Scratch, lab: &Lab) -> Result<()> {
    let step = crate::steps::step(format!(
        "grading the unmutated {} solution in {} (the first time builds its dependencies)",
        lab.id,
        scratch.root.display()
    ));
    let (outcome, report) = grade(scratch, lab, Duration::from_secs(45 * 60))?;
    if outcome != Outcome::Survived {
        let failing = match &outcome {
            Outcome::CheckerError { detail } => detail.clone(),
            Outcome::TimedOut => "it did not finish".to_owned(),
            _ => String::new(),
        };
        let failing = failing
            + &report
                .map(|r| {
                    r.checks
                        .iter()
                        .filter(|c| c.status != crate::report::Status::Pass)
                        .map(|c| format!("{} ({})", c.id, c.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
        bail!(
            "the {} solution does not pass as it is, so no mutant's grade would mean anything: {failing}. Fix that first (`cargo lab check {} --solution`; after changing a course file, `cargo lab integrity --write`)",
            lab.id,
            lab.id
        );
    }
    step.done();
    Ok(())
}

/// `checker check <lab> --solution --format json` in the scratch copy.
fn grade(scratch: &Scratch, lab: &Lab, limit: Duration) -> Result<(Outcome, Option<Report>)> {
    let out = scratch.target.join("mutant-report.json");
    let _ = std::fs::remove_file(&out);
    let mut cmd = std::process::Command::new(&scratch.checker);
    cmd.args(["check", &lab.id, "--solution", "--format", "json", "--out"])
        .arg(&out)
        .env("COURSE_ROOT", &scratch.root)
        .env("CARGO_TARGET_DIR", &scratch.target)
        .env("CHECKER_PROGRESS", "never")
        // A wrangler run per mutant would add minutes and can catch nothing: it is not graded.
        .env("CHECKER_MEASURE_UPLOAD", "never");
    let run = crate::processes::output_within(&mut cmd, limit).context("cannot run the checker")?;
    let report: Option<Report> = std::fs::read_to_string(&out)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    let outcome = record::judge(
        run.output.status.code(),
        run.timed_out,
        report.as_ref(),
        &stderr,
    );
    Ok((outcome, report))
}

fn lab_record(
    root: &Path,
    plan: &Planned,
    graded: &Graded,
    elapsed: Duration,
) -> Result<(LabRecord, record::Verdict)> {
    let tried: Vec<Tried> = plan
        .mutants
        .iter()
        .filter_map(|m| graded.get(&(plan.lab.id.clone(), m.key.clone())).cloned())
        .collect();
    let complete = plan.complete_selection && tried.len() == plan.mutants.len();
    let baseline = catalog::course_mutants(root, &plan.lab)?.equivalent;
    let (counts, score_percent, verdict) =
        record::summarize(&tried, &baseline, &plan.listed, complete);
    let seconds = tried
        .iter()
        .map(|t| t.seconds)
        .sum::<f64>()
        .min(elapsed.as_secs_f64());
    Ok((
        LabRecord {
            lab: plan.lab.id.clone(),
            cargo_mutants: crate::bootstrap::CARGO_MUTANTS_VERSION.to_owned(),
            complete,
            listed: plan.listed.len(),
            counts,
            score_percent,
            seconds: seconds.round(),
            mutants: tried,
        },
        verdict,
    ))
}

fn print_lab(record: &LabRecord, verdict: &record::Verdict, plan: &Planned, root: &Path) {
    let c = &record.counts;
    println!(
        "{}: {} tried of {} — caught {}, survived {}, equivalent {}, unviable {}, timed out {}; score {}{}",
        record.lab,
        c.tried,
        record.listed,
        c.caught,
        c.survived,
        c.equivalent,
        c.unviable,
        c.timed_out,
        record
            .score_percent
            .map(|s| format!("{s} %"))
            .unwrap_or_else(|| "n/a".into()),
        if record.complete { "" } else { " (partial run)" }
    );
    let course_file = catalog::course_file(root, &plan.lab);
    let course_file = course_file.strip_prefix(root).unwrap_or(&course_file);
    for key in &verdict.unexplained {
        println!("  SURVIVED {key}: no check failed. Add a case that fails it, or, if no client could ever tell it apart, an [[equivalent]] in {} saying why.", course_file.display());
        if let Some(mutant) = plan.mutants.iter().find(|m| &m.key == key) {
            let path = root.join(&plan.lab.solution.dir).join(&mutant.file);
            if let Ok(diff) = std::fs::read_to_string(&path)
                .map_err(anyhow::Error::from)
                .and_then(|o| mutant.diff(&o))
            {
                for line in diff.lines() {
                    println!("    {line}");
                }
            }
        }
    }
    for key in &verdict.stale {
        let why = match record.mutants.iter().any(|t| &t.mutant == key) {
            true => "was caught",
            false => "no longer exists (its code changed, or a look-alike before it renumbered it)",
        };
        println!(
            "  STALE {key}: listed as equivalent in {}, but it {why}; remove the entry.",
            course_file.display()
        );
    }
    for key in &verdict.checker_errors {
        let detail = record
            .mutants
            .iter()
            .find(|t| &t.mutant == key)
            .and_then(|t| match &t.outcome {
                Outcome::CheckerError { detail } => Some(detail.as_str()),
                _ => None,
            })
            .unwrap_or("");
        println!("  CHECKER ERROR on {key}: {detail}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A committed record is the proof the book quotes: it must have been judged against the
    /// baseline as it is now, and explain every survivor. Editing a lab's `[[equivalent]]`
    /// entries without rerunning its mutants fails here.
    #[test]
    fn every_committed_record_agrees_with_the_current_baseline() {
        let root = course::root();
        for lab in course::labs(&root).unwrap() {
            let full = record_path(&root, &lab, true);
            let Ok(text) = std::fs::read_to_string(&full) else {
                continue;
            };
            let path = full.strip_prefix(&root).unwrap_or(&full);
            let record: LabRecord = serde_json::from_str(&text).unwrap();
            let baseline = catalog::course_mutants(&root, &lab).unwrap().equivalent;
            let (counts, score, verdict) =
                record::summarize(&record.mutants, &baseline, &[], false);
            let rerun = format!(
                "rerun `cargo run -p checker -- mutants {}` and commit {}",
                lab.id,
                path.display()
            );
            assert_eq!(
                (&counts, score),
                (&record.counts, record.score_percent),
                "{} was judged against another baseline: {rerun}",
                path.display()
            );
            assert!(
                verdict.ok(),
                "{}: survivors the baseline does not explain {:?}, entries it caught {:?}, checker errors {:?}: close the gaps, then {rerun}",
                path.display(),
                verdict.unexplained,
                verdict.stale,
                verdict.checker_errors
            );
        }
    }
}
