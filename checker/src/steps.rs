//! Progress lines for long steps, on stderr so `--format json` output stays clean.
//!
//! Shown on a terminal and in CI logs (`CI` set: a silent three-minute install looks hung);
//! quiet otherwise, e.g. when a script captures stderr. `CHECKER_PROGRESS=always|never`
//! overrides.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
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

/// Whether progress is printed at all.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| match std::env::var("CHECKER_PROGRESS").as_deref() {
        Ok("always" | "1") => true,
        Ok("never" | "0") => false,
        _ => std::io::stderr().is_terminal() || std::env::var_os("CI").is_some(),
    })
}

pub fn step(what: impl Into<String>) -> Step {
    let what = what.into();
    if enabled() {
        eprintln!("{STEP}▸{STEP:#} {what}…");
        let _ = std::io::stderr().flush();
    }
    Step {
        started: Instant::now(),
        what,
    }
}

impl Step {
    pub fn done(self) {
        if !enabled() {
            return;
        }
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
    if enabled() {
        eprintln!("  {DIM}{text}{DIM:#}");
    }
}
