//! What each subcommand does. Every function returns the process exit status.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::Format;
use crate::grading::{self, MCP_PATH};
use crate::runtime::Server;
use crate::{bootstrap, course, pipeline, progress, render, size};

/// Exit status when the lab could not be graded.
pub const NOT_GRADABLE: i32 = 2;

pub fn check(
    root: &Path,
    lab: &str,
    solution: bool,
    format: Format,
    out: Option<&Path>,
) -> Result<i32> {
    let lab = course::find(root, lab)?;
    let report = grading::grade(root, &lab, solution);
    let text = match format {
        Format::Human => render::human(&report),
        Format::Json => render::json(&report),
    };
    match out {
        Some(path) => {
            std::fs::write(path, anstream::adapter::strip_str(&text).to_string())
                .with_context(|| format!("cannot write {}", path.display()))?;
            progress::note(format!("result written to {}", path.display()));
        }
        None => {
            let mut stdout = anstream::stdout();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(report.exit_code())
}

pub fn list(root: &Path) -> Result<i32> {
    let labs = course::labs(root)?;
    for lab in &labs {
        anstream::println!(
            "{:<6} {:<16} {:<22} {}",
            lab.id,
            lab.slug,
            lab.title,
            lab.summary
        );
    }
    anstream::println!("\nGrade one with `cargo lab check <lab>` (or `just check <lab>`).");
    Ok(0)
}

pub fn serve(root: &Path, lab: &str, solution: bool, port: u16) -> Result<i32> {
    let lab = course::find(root, lab)?;
    let krate = lab.crate_ref(solution);
    let tools = bootstrap::ensure(root)?;
    let mut server = Server::spawn(root, &tools)?;
    let step = progress::step(format!("building {}", krate.dir));
    let artefact = match pipeline::build(root, &lab, krate, &tools) {
        Ok(a) => a,
        Err(pipeline::BuildError::Compile { first_error }) => {
            anstream::eprintln!("{} does not compile for wasm32:\n{first_error}", krate.dir);
            return Ok(NOT_GRADABLE);
        }
        Err(pipeline::BuildError::Tool(e)) => return Err(e),
    };
    step.done();
    server.start(&lab, &artefact, port).with_context(|| {
        format!("cannot serve on 127.0.0.1:{port} (is another server using the port? try --port)")
    })?;
    anstream::println!(
        "{} is serving MCP at {}",
        krate.dir,
        server.endpoint(MCP_PATH)
    );
    anstream::println!("Point an MCP client (Streamable HTTP) at it. Press Ctrl-C to stop.");
    server.wait()?;
    unreachable!("Server::wait returns only with an error")
}

pub fn size(root: &Path, lab: &str, solution: bool, top: usize) -> Result<i32> {
    let lab = course::find(root, lab)?;
    let krate = lab.crate_ref(solution);
    let tools = bootstrap::ensure(root)?;
    let step = progress::step(format!("building {} as it would be deployed", krate.dir));
    let artefact = match pipeline::build(root, &lab, krate, &tools) {
        Ok(a) => a,
        Err(pipeline::BuildError::Compile { first_error }) => {
            anstream::eprintln!("{} does not compile for wasm32:\n{first_error}", krate.dir);
            return Ok(NOT_GRADABLE);
        }
        Err(pipeline::BuildError::Tool(e)) => return Err(e),
    };
    step.done();
    let sizes = size::sizes(&artefact.wasm)?;
    let breakdown = size::breakdown(&artefact.bound)?;
    anstream::print!("{}", render::size(krate, &lab, &sizes, &breakdown, top));
    Ok(0)
}
