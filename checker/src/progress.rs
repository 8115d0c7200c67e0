//! Progress lines for long steps, on stderr so `--format json` output stays clean.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use anstream::eprintln;
use anstyle::{AnsiColor, Style};

const DIM: Style = AnsiColor::BrightBlack.on_default();
const STEP: Style = AnsiColor::Cyan.on_default().bold();

/// A step that is under way; say `done` when it finishes to print how long it took.
pub struct Step {
    started: Instant,
    what: String,
}

pub fn step(what: impl Into<String>) -> Step {
    let what = what.into();
    eprintln!("{STEP}▸{STEP:#} {what}…");
    let _ = std::io::stderr().flush();
    Step {
        started: Instant::now(),
        what,
    }
}

impl Step {
    pub fn done(self) {
        let secs = self.started.elapsed().as_secs_f64();
        // On a terminal a short confirmation is enough; logs (CI) get the full line.
        if std::io::stderr().is_terminal() {
            eprintln!("  {DIM}done in {secs:.1} s{DIM:#}");
        } else {
            eprintln!("  {} done in {secs:.1} s", self.what);
        }
    }
}

/// A one-line note (what is about to happen, and why).
pub fn note(text: impl std::fmt::Display) {
    eprintln!("  {DIM}{text}{DIM:#}");
}
