//! `checker`: grades the course labs. See `checker --help`.

use checker::{cli, commands, course, payload, processes, watch};

use clap::Parser;

fn main() {
    // Long on purpose: one arm per command of clap's enum; each only calls its command.
    // First, before any thread or child process: no process the checker starts may see a
    // key a class's CI hands it.
    checker::integrity::take_handed_key();
    processes::install_interrupt_handler();
    let cli = cli::Cli::parse();
    let root = course::root();
    let result = match cli.command {
        cli::Cmd::Check {
            lab,
            solution,
            format,
            out,
            all,
        } => commands::check(&root, &lab, solution, format, all, out.as_deref()),
        cli::Cmd::List => commands::list(&root),
        cli::Cmd::Reset { lab, yes } => commands::reset(&root, &lab, yes),
        cli::Cmd::Progress { export, import } => {
            commands::progress(&root, export.as_deref(), import.as_deref())
        }
        cli::Cmd::Doctor => commands::doctor(&root),
        cli::Cmd::Watch { lab } => {
            course::find(&root, &lab).and_then(|lab| watch::run(&root, &lab))
        }
        cli::Cmd::Hint { lab } => commands::hint(&root, &lab),
        cli::Cmd::Summary {
            reports,
            format,
            out,
        } => commands::summary(&reports, format, out.as_deref()),
        cli::Cmd::Render {
            report,
            format,
            out,
            all,
        } => commands::render(&report, format, all, out.as_deref()),
        cli::Cmd::Setup => commands::setup(&root),
        cli::Cmd::Serve {
            lab,
            solution,
            port,
        } => commands::serve(&root, &lab, solution, port),
        cli::Cmd::Dev {
            lab,
            solution,
            port,
        } => commands::dev(&root, &lab, solution, port),
        cli::Cmd::Size {
            lab,
            solution,
            top,
            save,
        } => commands::size(&root, &lab, solution, top, save.as_deref()),
        cli::Cmd::Bench {
            lab,
            solution,
            format,
        } => commands::bench(&root, &lab, solution, format),
        cli::Cmd::Record { lab, solution } => commands::record(&root, &lab, solution),
        cli::Cmd::Corpus { lab, write } => commands::corpus(&root, &lab, write),
        cli::Cmd::Integrity { write } => commands::integrity(&root, write),
        cli::Cmd::Audit { path } => commands::audit(&root, &path),
        cli::Cmd::Payload { seed, bytes, id } => {
            use std::io::Write;
            let payload = payload::generate(seed, bytes, id);
            std::io::stdout()
                .write_all(payload.body.as_bytes())
                .map(|()| 0)
                .map_err(Into::into)
        }
        cli::Cmd::Rubric { out_dir, check } => commands::rubric(&root, &out_dir, check),
        cli::Cmd::Mutants(args) => commands::mutants(&root, args),
    };
    // After Ctrl-C the handler owns the exit (130, once the runtime is stopped); whatever the
    // interrupted command returned is a consequence of the interrupt, not a result.
    if processes::interrupted() {
        processes::wait_for_interrupt_exit();
    }
    let code = result.unwrap_or_else(|e| {
        anstream::eprintln!("error: {e:#}");
        commands::NOT_GRADABLE
    });
    std::process::exit(code);
}
