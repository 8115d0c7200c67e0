//! What went wrong, from what the tools printed: the compiler's first error and where it
//! is, and the kind of failure it shows.

use std::path::{Path, PathBuf};

use crate::report::{FailureKind, Location};

/// What kind of compile failure the compiler's first error shows: a dependency that refuses
/// wasm32 until a feature or backend is chosen (these are the texts those crates print), or
/// an error in the code.
pub fn compile_failure(first_error: &str) -> FailureKind {
    match failure_in_output(first_error) {
        Some(FailureKind::MissingWasmFeature) => FailureKind::MissingWasmFeature,
        _ => FailureKind::CompileError,
    }
}

/// What kind of failure a tool's own output shows — the compiler's first error, a test's
/// panic — by the texts the compiler, the crates and the test runners print; `None` when it
/// shows none of them.
pub fn failure_in_output(text: &str) -> Option<FailureKind> {
    // What crates print when wasm32 needs a feature or backend chosen.
    const NEEDS_A_FEATURE: &[&str] = &[
        "not supported by default",
        "unsupported by mio",
        "only the WASI",
        "wasm_js",
        "compile_error!",
        "rng-getrandom",
    ];
    // What a panic or trap inside the wasm instance prints.
    const TRAPPED: &[&str] = &[
        "panicked",
        "RuntimeError",
        "unreachable",
        "not implemented on this platform",
    ];
    let any = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if any(NEEDS_A_FEATURE) {
        Some(FailureKind::MissingWasmFeature)
    } else if text.contains("error[") {
        Some(FailureKind::CompileError)
    } else if any(TRAPPED) {
        Some(FailureKind::RuntimeTrap)
    } else {
        None
    }
}

/// The first `error` block cargo printed (up to the blank line that ends it), or the tail of
/// the output when there is none (a linker or build-script failure).
/// Lines are cut to a readable length and blocks to a screenful: a linker error carries the
/// whole linker command line, tens of kilobytes that help nobody.
pub fn first_error(stderr: &str) -> String {
    const LINE: usize = 240;
    const LINES: usize = 30;
    let lines: Vec<&str> = stderr.lines().collect();
    let block = if let Some(start) = lines.iter().position(|l| l.starts_with("error")) {
        let end = lines[start..]
            .iter()
            .position(|l| l.trim().is_empty())
            .map_or(lines.len(), |n| start + n);
        &lines[start..end]
    } else {
        &lines[lines.len().saturating_sub(15)..]
    };
    let mut shown: Vec<String> = block
        .iter()
        .take(LINES)
        .map(|l| {
            if l.len() <= LINE {
                (*l).to_owned()
            } else {
                let mut end = LINE;
                while !l.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}… ({} characters cut)", &l[..end], l.len() - end)
            }
        })
        .collect();
    if block.len() > LINES {
        shown.push(format!("… ({} more lines)", block.len() - LINES));
    }
    shown.join("\n")
}

/// The file and line of the compiler's first error (its `--> path:line:col` line), relative to
/// the repository root; `None` when the error is outside it (in a dependency from the
/// registry, where the fix is the lab's Cargo.toml rather than the file).
pub fn error_location(root: &Path, crate_dir: &str, first_error: &str) -> Option<Location> {
    let span = first_error
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    // rustc prints paths relative to the workspace it builds: the repository for a member,
    // the crate itself for a crate that is its own workspace.
    span_location(root, &[root.to_path_buf(), root.join(crate_dir)], span)
}

/// A `path:line:col` span as a report location, when the path (relative to one of `bases`)
/// is a file inside the repository.
pub fn span_location(root: &Path, bases: &[PathBuf], span: &str) -> Option<Location> {
    let mut parts = span.trim().rsplitn(3, ':');
    let (_column, line, path) = (parts.next()?, parts.next()?, parts.next()?);
    let full = bases
        .iter()
        .map(|base| base.join(path))
        .find(|p| p.is_file())?;
    let relative = full.strip_prefix(root).ok()?;
    Some(Location {
        path: relative.to_string_lossy().replace('\\', "/"),
        line: line.parse().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::first_error;

    #[test]
    fn first_error_is_the_first_compiler_block() {
        let stderr = "   Compiling lab v0.1.0\nwarning: unused\n\nerror[E0425]: cannot find value `x`\n --> src/lib.rs:3:5\n  |\n3 |     x\n  |     ^ not found\n\nerror: aborting due to 1 previous error\n";
        assert_eq!(
            first_error(stderr),
            "error[E0425]: cannot find value `x`\n --> src/lib.rs:3:5\n  |\n3 |     x\n  |     ^ not found"
        );
    }

    #[test]
    fn without_an_error_block_the_tail_is_kept() {
        assert_eq!(first_error("a\nb\nlinker failed"), "a\nb\nlinker failed");
    }
}
