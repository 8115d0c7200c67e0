//! What each subcommand does. Every function returns the process exit status.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::{Format, SummaryFormat};
use crate::grading::{self, MCP_PATH};
use crate::report::{Report, SCHEMA_VERSION};
use crate::runtime::Server;
use crate::{bootstrap, course, pipeline, processes, render, steps, wasm_size, wrangler};

/// Exit status when the lab could not be graded.
pub const NOT_GRADABLE: i32 = 2;

pub fn check(
    root: &Path,
    lab: &str,
    solution: bool,
    format: Format,
    all: bool,
    out: Option<&Path>,
) -> Result<i32> {
    let lab = course::find(root, lab)?;
    // Charts and other files go next to the report, or under target/checker/reports.
    let reports = match out.and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        Some(_) => std::path::PathBuf::from("."),
        None => pipeline::target_dir(root).join("checker").join("reports"),
    };
    let report = grading::grade(root, &lab, solution, &reports);
    // An interrupted run's checks failed because the runtime was stopped under them: that
    // report is neither shown nor recorded as the student's progress.
    if crate::processes::interrupted() {
        crate::processes::wait_for_interrupt_exit();
    }
    if !solution {
        // Progress for `list` and `hint`.
        crate::student_progress::record_or_note(root, &report);
    }
    emit(&report, format, all, out)?;
    Ok(report.exit_code())
}

/// The course's own files against their recorded hashes; `--write` records them.
pub fn integrity(root: &Path, write: bool) -> Result<i32> {
    if write {
        // The starting points first: their record is a course file the list hashes.
        crate::reset::write_record(root)?;
        anstream::println!("wrote {}", crate::reset::RECORD);
        crate::integrity::write_list(root)?;
        anstream::println!("wrote {}", crate::integrity::LIST);
        return Ok(0);
    }
    let changes = crate::integrity::course_changes(root)?;
    for change in &changes {
        anstream::println!(
            "{} {} (restore: {})",
            change.path,
            change.what,
            change.restore
        );
    }
    if changes.is_empty() {
        anstream::println!("the course's files match {}", crate::integrity::LIST);
        Ok(0)
    } else {
        Ok(1)
    }
}

/// A class's reports as one table.
pub fn summary(
    reports: &[std::path::PathBuf],
    format: SummaryFormat,
    out: Option<&Path>,
) -> Result<i32> {
    let entries = crate::summary::load(reports)?;
    let text = match format {
        SummaryFormat::Markdown => crate::summary::markdown(&entries),
        SummaryFormat::Csv => crate::summary::csv(&entries)?,
    };
    match out {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            steps::note(format!(
                "summary of {} reports written to {}",
                entries.len(),
                path.display()
            ));
        }
        None => print(&text)?,
    }
    Ok(0)
}

/// Renders a saved JSON report in another format; the exit status is the report's own.
pub fn render(report_file: &Path, format: Format, all: bool, out: Option<&Path>) -> Result<i32> {
    let text = std::fs::read_to_string(report_file)
        .with_context(|| format!("cannot read {}", report_file.display()))?;
    let report: Report = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a checker JSON report (`cargo lab check <lab> --format json --out FILE` writes one)",
            report_file.display()
        )
    })?;
    if report.schema_version != SCHEMA_VERSION {
        anyhow::bail!(
            "{} has schema_version {}; this checker reads {SCHEMA_VERSION}",
            report_file.display(),
            report.schema_version
        );
    }
    emit(&report, format, all, out)?;
    Ok(report.exit_code())
}

/// Writes a report in `format`: to `out`, or to standard output. The GitHub format splits in
/// two: annotations always go to standard output (only there does Actions read them), the
/// Markdown summary to `out`, else to `$GITHUB_STEP_SUMMARY`, else to standard output.
fn emit(report: &Report, format: Format, all: bool, out: Option<&Path>) -> Result<()> {
    let text = match format {
        Format::Human => render::human(
            report,
            if all {
                render::Detail::All
            } else {
                render::Detail::NextTask
            },
        ),
        Format::Json => render::json(report),
        Format::Junit => render::junit(&[report]),
        Format::Exercism => render::exercism(report),
        Format::Github => {
            let rendered = render::github(report);
            print(&rendered.annotations)?;
            let summary_file = std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from);
            match (out, summary_file) {
                (None, Some(file)) => {
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&file)
                        .and_then(|mut f| f.write_all(rendered.summary.as_bytes()))
                        .with_context(|| format!("cannot append to {}", file.display()))?;
                    return Ok(());
                }
                _ => rendered.summary,
            }
        }
    };
    match out {
        Some(path) => {
            std::fs::write(path, anstream::adapter::strip_str(&text).to_string())
                .with_context(|| format!("cannot write {}", path.display()))?;
            steps::note(format!("result written to {}", path.display()));
        }
        None => print(&text)?,
    }
    Ok(())
}

fn print(text: &str) -> Result<()> {
    let mut stdout = anstream::stdout();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

pub fn list(root: &Path) -> Result<i32> {
    use anstyle::{AnsiColor, Style};
    const GREEN: Style = AnsiColor::Green.on_default().bold();
    const RED: Style = AnsiColor::Red.on_default().bold();
    const DIM: Style = AnsiColor::BrightBlack.on_default();
    let labs = course::labs(root)?;
    let state = crate::student_progress::load(root);
    let (mut passing, mut earned, mut available) = (0, 0.0, 0.0);
    for lab in &labs {
        let last = state.labs.get(&lab.id).and_then(|l| l.last.as_ref());
        let status = match last {
            None => format!("{DIM}· not started{DIM:#}"),
            Some(run) if run.passed => {
                passing += 1;
                format!(
                    "{GREEN}✔ passing{GREEN:#} {}/{}",
                    render::points(run.score),
                    render::points(run.max_score)
                )
            }
            Some(run) => {
                let failing = run
                    .checks
                    .iter()
                    .filter(|c| c.status != crate::report::Status::Pass)
                    .count();
                let done = lab.tasks_done(|id| {
                    run.checks
                        .iter()
                        .any(|c| c.id == id && c.status == crate::report::Status::Pass)
                });
                format!(
                    "{RED}✘ {}/{}{RED:#} ({done} of {} tasks done, {failing} of {} checks not passing)",
                    render::points(run.score),
                    render::points(run.max_score),
                    lab.tasks.len(),
                    run.checks.len()
                )
            }
        };
        earned += last.map_or(0.0, |r| r.score);
        available += last.map_or_else(
            || lab.checks.iter().map(|c| c.points).sum(),
            |r| r.max_score,
        );
        anstream::println!("{:<6} {:<16} {:<22} {status}", lab.id, lab.slug, lab.title);
        anstream::println!("       {DIM}{}{DIM:#}", lab.summary);
    }
    const WIDTH: usize = 24;
    let filled = if labs.is_empty() {
        0
    } else {
        WIDTH * passing / labs.len()
    };
    anstream::println!(
        "\nprogress {GREEN}{}{GREEN:#}{DIM}{}{DIM:#} {passing} of {} labs passing · {}/{} points",
        "█".repeat(filled),
        "░".repeat(WIDTH - filled),
        labs.len(),
        render::points(earned),
        render::points(available)
    );
    anstream::println!("Grade one with `cargo lab check <lab>` (or `just check <lab>`); `cargo lab hint <lab>` when stuck.");
    Ok(0)
}

pub fn reset(root: &Path, lab: &str, yes: bool) -> Result<i32> {
    let lab = course::find(root, lab)?;
    let Some(done) = crate::reset::reset(root, &lab, yes)? else {
        anstream::println!("{} left as it is", lab.lab.dir);
        return Ok(0);
    };
    crate::student_progress::forget(root, &lab.id)?;
    anstream::println!(
        "reset {} to its starting point ({} files)\nyour {} files are in {} (under target/: a `cargo clean` deletes them)\n`cargo lab check {}` grades it from the start",
        done.dir,
        done.restored,
        done.backed_up,
        done.backup
            .strip_prefix(root)
            .unwrap_or(&done.backup)
            .display(),
        lab.id
    );
    Ok(0)
}

pub fn hint(root: &Path, lab: &str) -> Result<i32> {
    let lab = course::find(root, lab)?;
    anstream::print!("{}", crate::hint::run(root, &lab)?);
    Ok(0)
}

pub fn doctor(root: &Path) -> Result<i32> {
    let (text, ok) = crate::doctor::render(&crate::doctor::diagnose(root));
    anstream::print!("{text}");
    Ok(if ok { 0 } else { 1 })
}

pub fn setup(root: &Path) -> Result<i32> {
    let tools = bootstrap::ensure(root)?;
    anstream::println!(
        "ready: wasm-bindgen {} at {}, Node at {}",
        tools.wasm_bindgen_version,
        tools.wasm_bindgen.display(),
        tools.node.display()
    );
    Ok(0)
}

pub fn serve(root: &Path, lab: &str, solution: bool, port: u16) -> Result<i32> {
    let lab = course::find(root, lab)?;
    let krate = lab.crate_ref(solution);
    let tools = bootstrap::ensure(root)?;
    let mut server = Server::spawn(root, &tools)?;
    let step = steps::step(format!("building {}", krate.dir));
    let Some(artefact) = build_or_explain(root, &lab, krate, &tools)? else {
        return Ok(NOT_GRADABLE);
    };
    step.done();
    server.start(&lab, &artefact, port).with_context(|| {
        format!("cannot serve on 127.0.0.1:{port} (is another server using the port? try --port)")
    })?;
    if lab.worker.mcp {
        anstream::println!(
            "{} is serving MCP at {}",
            krate.dir,
            server.endpoint(MCP_PATH)
        );
        anstream::println!("Point an MCP client (Streamable HTTP) at it. Press Ctrl-C to stop.");
    } else {
        let url = server.endpoint("/");
        anstream::println!("{} is serving plain HTTP at {url}", krate.dir);
        anstream::println!("Try `curl -si {url}`. Press Ctrl-C to stop.");
    }
    server.wait()?;
    unreachable!("Server::wait returns only with an error")
}

pub fn dev(root: &Path, lab: &str, solution: bool, port: u16) -> Result<i32> {
    let lab = course::find(root, lab)?;
    anyhow::ensure!(
        lab.kind == course::LabKind::Worker,
        "{} is a library lab: there is no Worker to run (`cargo lab check {}` grades it)",
        lab.id,
        lab.id
    );
    let krate = lab.crate_ref(solution);
    let tools = bootstrap::ensure(root)?;
    bootstrap::ensure_worker_build(root)?;
    let dir = root.join(&krate.dir);
    // Local KV and D1 live here, not in the crate's .wrangler/: fresh on every start, so a
    // run always begins from the fixture the checker grades with.
    let state = pipeline::target_dir(root)
        .join("checker")
        .join(&krate.package)
        .join("wrangler-state");
    let _ = std::fs::remove_dir_all(&state);
    if let (Some(fixture), Some(binding)) = (lab.d1_fixture(), lab.worker.d1.first()) {
        let step = steps::step(format!(
            "loading {} into the local D1 database {binding}",
            fixture.strip_prefix(root).unwrap_or(&fixture).display()
        ));
        let out = wrangler::wrangler(root, &tools, &dir)
            .args(["d1", "execute", binding, "--local", "--persist-to"])
            .arg(&state)
            .arg("--file")
            .arg(&fixture)
            .stdin(std::process::Stdio::null())
            .output()
            .context("cannot run wrangler")?;
        anyhow::ensure!(
            out.status.success(),
            "`wrangler d1 execute` failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        step.done();
    }
    anstream::println!(
        "wrangler dev: {} builds with its wrangler.toml command, then serves http://127.0.0.1:{port}{MCP_PATH}. Ctrl-C stops it.",
        krate.dir
    );
    // Its own process group, registered: Ctrl-C reaches the checker, which stops wrangler
    // and the workerd it started together (SIGTERM, then SIGKILL), so nothing outlives it.
    use std::os::unix::process::CommandExt;
    let mut child = wrangler::wrangler(root, &tools, &dir)
        .args(["dev", "--ip", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--persist-to")
        .arg(&state)
        .arg("--show-interactive-dev-session=false")
        .stdin(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .context("cannot run wrangler")?;
    let pgid = child.id() as i32;
    processes::register(pgid);
    let status = child.wait();
    processes::stop_group(pgid, std::time::Duration::from_secs(2));
    processes::unregister(pgid);
    Ok(status
        .context("cannot wait for wrangler")?
        .code()
        .unwrap_or(1))
}

pub fn size(
    root: &Path,
    lab: &str,
    solution: bool,
    top: usize,
    save: Option<&Path>,
) -> Result<i32> {
    let lab = course::find(root, lab)?;
    let krate = lab.crate_ref(solution);
    let tools = bootstrap::ensure(root)?;
    let step = steps::step(format!("building {} as it would be deployed", krate.dir));
    let built = pipeline::build_deployed(root, &lab, krate, &tools);
    let Some(artefact) = explain_build(root, &lab, krate, built)? else {
        return Ok(NOT_GRADABLE);
    };
    step.done();
    let sizes = wasm_size::sizes(&artefact.wasm)?;
    let deployed_sections = wasm_size::breakdown(&artefact.wasm)?.sections;
    let upload = wrangler::upload_of(root, &tools, &lab, krate, &artefact);
    if let Some(path) = save {
        std::fs::copy(&artefact.wasm, path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        steps::note(format!("deployed module saved to {}", path.display()));
    }
    let mut breakdown = wasm_size::breakdown(&artefact.bound)?;
    if !breakdown.named {
        // The sizes above stay the real module's; only the attribution needs names.
        let step = steps::step(
            "the module has no function names (strip = true): building a copy that keeps them, to attribute the code",
        );
        match pipeline::build_with_names(root, &lab, krate) {
            Ok(named) => {
                let mut attributed = wasm_size::breakdown(&named)?;
                attributed.sections = breakdown.sections.clone();
                attributed.from_named_copy = true;
                breakdown = attributed;
            }
            Err(e) => steps::note(format!("could not build the copy: {e:?}")),
        }
        step.done();
    }
    let measured = render::SizeReport {
        sizes: &sizes,
        deployed_sections: &deployed_sections,
        upload: upload.as_ref(),
        breakdown: &breakdown,
    };
    anstream::print!("{}", render::size(krate, &lab, &measured, top));
    // What a course author copies into [size.measured_with] after re-measuring a baseline.
    if let Ok(pins) = course::Pins::current(root, krate) {
        anstream::println!(
            "\n  measured with rustc {} · wasm-bindgen {} · binaryen {} · worker {}",
            pins.rustc,
            pins.wasm_bindgen,
            pins.binaryen,
            pins.worker
        );
        if lab.size.as_ref().is_some_and(|s| s.measured_with != pins) {
            anstream::println!(
                "  the baseline in {} was measured with other versions: re-measure it",
                lab.manifest_dir.join("lab.toml").display()
            );
        }
    }
    Ok(0)
}

/// Records (or compares) the expected replies of a lab's corpus from its starting point:
/// the starting point's behaviour is the reference every size-reduced version must keep.
/// `checker record <lab>`: grades the lab (or its solution) and writes each check's
/// recording for the replay tests.
pub fn record(root: &Path, lab: &str, solution: bool) -> Result<i32> {
    let lab = course::find(root, lab)?;
    let reports = tempfile_dir(root)?;
    let (report, written) = grading::record(root, &lab, solution, &reports)?;
    for path in &written {
        anstream::println!(
            "wrote {}",
            path.strip_prefix(root).unwrap_or(path).display()
        );
    }
    anstream::println!(
        "{}: {}/{} points; {} recordings",
        lab.id,
        report.score,
        report.max_score,
        written.len()
    );
    Ok(0)
}

fn tempfile_dir(root: &Path) -> Result<std::path::PathBuf> {
    crate::pipeline::run_dir(&crate::pipeline::target_dir(root).join("checker/record"))
}

pub fn corpus(root: &Path, lab: &str, write: bool) -> Result<i32> {
    use crate::checks::corpus::{corpus_path, load_corpus, replay};
    let lab = course::find(root, lab)?;
    let tools = bootstrap::ensure(root)?;
    let mut server = Server::spawn(root, &tools)?;
    let Some(artefact) = build_or_explain(root, &lab, &lab.lab, &tools)? else {
        return Ok(NOT_GRADABLE);
    };
    server.start(&lab, &artefact, 0)?;
    let client = crate::mcp_client::Client::new(&server.url, MCP_PATH);
    let mut corpus = load_corpus(&lab)?;
    let mut changed = 0;
    for entry in &mut corpus {
        let (got, exchange) = replay(&client, entry);
        let got = got.with_context(|| format!("{}: {}", entry.name, exchange.summary()))?;
        if got != entry.expected {
            changed += 1;
            anstream::println!("{}: HTTP {} {}", entry.name, got.status, got.json);
            entry.expected = got;
        }
    }
    anstream::println!(
        "{} of {} replies differ from the recorded ones",
        changed,
        corpus.len()
    );
    if write {
        let path = corpus_path(&lab);
        std::fs::write(&path, serde_json::to_string_pretty(&corpus)? + "\n")?;
        anstream::println!("wrote {}", path.display());
    }
    Ok(if changed == 0 || write { 0 } else { 1 })
}

pub fn rubric(root: &Path, out_dir: &Path, check: bool) -> Result<i32> {
    let dir = if out_dir.is_absolute() {
        out_dir.to_path_buf()
    } else {
        root.join(out_dir)
    };
    let mut stale = Vec::new();
    for (name, text) in crate::rubric::pages(root)? {
        let path = dir.join(&name);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            anstream::println!("wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        anstream::eprintln!(
            "out of date (regenerate with `cargo lab rubric`): {}",
            stale.join(", ")
        );
        return Ok(1);
    }
    Ok(0)
}

pub fn audit(root: &Path, path: &Path) -> Result<i32> {
    let dir = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let step = steps::step(format!("building {} for wasm32", dir.display()));
    let channel = course::toolchain_channel(root)?;
    // A target directory per audited crate, so crates sharing a library name never mix.
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("crate");
    let target = pipeline::target_dir(root).join("audit").join(name);
    let audit = crate::audit::run(&dir, &target, &channel)?;
    step.done();
    anstream::print!("{}", render::audit(&audit));
    Ok(if audit.findings.is_empty() && audit.builds {
        0
    } else {
        1
    })
}

/// Builds the Worker for commands that are not a graded check: a build the crate broke is
/// explained for the student (`None`, exit 2 by the caller); a tool failure is an error.
fn build_or_explain(
    root: &Path,
    lab: &course::Lab,
    krate: &course::CrateRef,
    tools: &bootstrap::Tools,
) -> Result<Option<pipeline::Artefact>> {
    explain_build(root, lab, krate, pipeline::build(root, lab, krate, tools))
}

fn explain_build(
    root: &Path,
    lab: &course::Lab,
    krate: &course::CrateRef,
    built: Result<pipeline::Artefact, pipeline::BuildError>,
) -> Result<Option<pipeline::Artefact>> {
    match built {
        Ok(a) => Ok(Some(a)),
        Err(e) => {
            let failure = e.explain(root, lab, krate)?;
            anstream::eprintln!("{}\nhint: {}", failure.message, failure.hint);
            Ok(None)
        }
    }
}

/// `checker progress`: export this checkout's progress, or merge an export into it.
pub fn progress(root: &Path, export: Option<&Path>, import: Option<&Path>) -> Result<i32> {
    use crate::student_progress as progress;
    if let Some(file) = export {
        let state = progress::load(root);
        let labs = state.labs.len();
        let text = serde_json::to_string_pretty(&progress::export(state))? + "\n";
        if file == Path::new("-") {
            anstream::print!("{text}");
        } else {
            std::fs::write(file, text)
                .with_context(|| format!("cannot write {}", file.display()))?;
            anstream::println!(
                "progress of {labs} lab(s) written to {}; on the other checkout: cargo lab progress --import {}",
                file.display(),
                file.display()
            );
        }
    }
    if let Some(file) = import {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let exported = progress::parse_export(&text)
            .with_context(|| format!("{} was not imported", file.display()))?;
        let mut state = progress::load(root);
        let changed = progress::merge(&mut state, exported.labs);
        if changed.is_empty() {
            anstream::println!(
                "{}: nothing new; your progress is unchanged",
                file.display()
            );
        } else {
            progress::save(root, &state)?;
            anstream::println!(
                "progress merged from {}: {} (`cargo lab list` shows it)",
                file.display(),
                changed.join(", ")
            );
        }
    }
    Ok(0)
}

/// `checker bench`: the lab's deployed Worker against the TypeScript reference (see `bench`).
pub fn bench(
    root: &Path,
    lab: &str,
    solution: bool,
    format: crate::cli::BenchFormat,
) -> Result<i32> {
    let lab = course::find(root, lab)?;
    anyhow::ensure!(
        lab.id == "lab-4",
        "bench compares lab 4's tools with the course's TypeScript reference; {} has other tools (try `cargo lab bench lab-4`)",
        lab.id
    );
    let krate = lab.crate_ref(solution);
    let tools = bootstrap::ensure(root)?;
    let worker = &lab.worker;
    let step = steps::step(format!("building {} as it would be deployed", krate.dir));
    let built = pipeline::build_deployed(root, &lab, krate, &tools);
    let Some(artefact) = explain_build(root, &lab, krate, built)? else {
        return Ok(NOT_GRADABLE);
    };
    step.done();

    let step = steps::step("bundling the TypeScript reference (esbuild --minify)");
    let out_dir = pipeline::target_dir(root).join("checker").join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let bundle = out_dir.join("ts-reference.js");
    let outfile = format!("--outfile={}", bundle.display());
    let reference = root.join("checker/bench/ts-reference.mjs");
    pipeline::run_esbuild(
        root,
        root,
        &[
            &reference.to_string_lossy(),
            "--bundle",
            "--minify",
            "--format=esm",
            "--platform=neutral",
            "--conditions=workerd,worker,browser",
            "--main-fields=module,main",
            "--log-level=warning",
            &outfile,
        ],
        "checker/bench/ts-reference.mjs",
    )?;
    step.done();

    let config = serde_json::json!({
        "rust": artefact.entry,
        "ts": bundle,
        "compatibilityDate": worker.compatibility_date,
        "kv": worker.kv,
        "d1": worker.d1,
        "requests": 1000,
        "seconds": 2,
        // /proc/<pid>/stat counts CPU in USER_HZ ticks, 100 a second on Linux.
        "clockTicks": 100,
    });
    let step = steps::step("measuring both servers and the floor (about 40 s)");
    let mut node = std::process::Command::new(&tools.node);
    node.arg(root.join("checker/harness/bench.mjs"))
        .arg(config.to_string())
        .current_dir(root);
    let run = processes::output_within(&mut node, std::time::Duration::from_secs(300))
        .context("cannot run checker/harness/bench.mjs")?;
    anyhow::ensure!(
        !run.timed_out,
        "the bench did not finish within 5 minutes:\n{}",
        String::from_utf8_lossy(&run.output.stderr).trim()
    );
    anyhow::ensure!(
        run.output.status.success(),
        "the bench failed:\n{}",
        String::from_utf8_lossy(&run.output.stderr).trim()
    );
    step.done();
    let readings: crate::bench::Readings =
        serde_json::from_slice(&run.output.stdout).context("the bench printed no readings")?;
    // The two files `wrangler deploy` uploads (worker-build's build/): the module and its
    // JavaScript, against the TypeScript bundle, so that both sides count everything they ship.
    let deployed = pipeline::bundle(root, &artefact, &tools)?;
    let (module, glue) = (
        wasm_size::sizes(&deployed.wasm)?,
        wasm_size::sizes(&deployed.js)?,
    );
    let rust_size = wasm_size::Sizes {
        raw: module.raw + glue.raw,
        gzip: module.gzip + glue.gzip,
        brotli: module.brotli + glue.brotli,
    };
    let comparison = crate::bench::compare(
        &lab.id,
        &krate.dir,
        rust_size,
        wasm_size::sizes(&bundle)?,
        &readings,
    )?;
    match format {
        crate::cli::BenchFormat::Human => anstream::print!("{}", crate::bench::human(&comparison)),
        crate::cli::BenchFormat::Json => {
            anstream::println!("{}", serde_json::to_string_pretty(&comparison)?)
        }
    }
    Ok(0)
}

/// `checker mutants`: see `mutants::run`.
#[allow(clippy::too_many_arguments)]
pub fn mutants(root: &Path, args: crate::cli::MutantsArgs) -> Result<i32> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = crate::mutants::Options {
        labs: args.labs,
        jobs: args.jobs.unwrap_or((cores / 2).max(1)),
        budget: args.budget.map(|m| std::time::Duration::from_secs(m * 60)),
        timeout: std::time::Duration::from_secs(args.timeout),
        only: args.only,
        sample: args.sample,
    };
    if args.list {
        crate::mutants::list(root, &options)
    } else {
        crate::mutants::run(root, &options)
    }
}
