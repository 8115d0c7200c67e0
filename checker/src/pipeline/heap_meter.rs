//! The heap meter: the course probe's counting global allocator, built into a memory lab's
//! Worker by the checker (the `heap-meter` feature of `course-probe`), so `memory.growth` can
//! read live heap bytes without the lab's help. A program has one global allocator: a lab
//! that brings its own cannot have the meter too, and is built and graded without it.

use std::path::{Path, PathBuf};

use super::cargo::cargo_build;
use super::BuildError;
use crate::course::{CrateRef, Lab};

/// The cargo feature that makes the probe the global allocator, as `-p <lab>` sees it.
const FEATURE: &str = "course-probe/heap-meter";

/// Whether a built Worker counts its live heap bytes, and if not, why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapMeter {
    /// Built in: every reply carries `x-course-heap-live`.
    BuiltIn,
    /// The lab is not graded on memory, so the checker did not ask for it.
    NotAsked,
    /// The lab (or one of its dependencies) brings its own `#[global_allocator]`.
    OwnAllocator,
    /// The lab does not depend on `course-probe` under that name.
    NoProbe,
}

impl HeapMeter {
    /// The features a build with this meter state passes to cargo.
    pub(super) fn features(self) -> &'static [&'static str] {
        match self {
            HeapMeter::BuiltIn => &[FEATURE],
            _ => &[],
        }
    }

    /// Why a metered build failed where an unmetered one may not, read from the compiler's
    /// first error; `None` for an error of the lab's own.
    fn refused_by(first_error: &str) -> Option<HeapMeter> {
        // rustc names the two crates in the order it loaded them: the probe may be either.
        if first_error.contains("conflicts with global allocator in")
            && first_error.contains("course_probe")
        {
            Some(HeapMeter::OwnAllocator)
        } else if first_error.contains(FEATURE) {
            Some(HeapMeter::NoProbe)
        } else {
            None
        }
    }

    /// Why live heap bytes cannot be read from this build, for a report; `None` when they
    /// can (or should have been: then the module lost the probe, which the caller says).
    pub fn unavailable(self) -> Option<&'static str> {
        match self {
            HeapMeter::BuiltIn => None,
            HeapMeter::NotAsked => Some("the checker did not build the heap meter in"),
            HeapMeter::OwnAllocator => Some(
                "the lab brings its own #[global_allocator], and a program has only one: the course probe's counting allocator could not be built in",
            ),
            HeapMeter::NoProbe => Some(
                "the lab does not depend on course-probe, whose allocator counts them (keep `course-probe = { path = \"../../checker/probe\" }` in Cargo.toml)",
            ),
        }
    }
}

/// Builds the crate, with the heap meter when the lab is graded on memory and the crate can
/// take it: the module, whether rustc produced it in this run, and the meter's state.
pub(super) fn build(
    root: &Path,
    lab: &Lab,
    krate: &CrateRef,
) -> Result<(PathBuf, bool, HeapMeter), BuildError> {
    let profile = &lab.worker.profile;
    if lab.memory.is_none() {
        let (wasm, compiled) = cargo_build(root, profile, krate, &[])?;
        return Ok((wasm, compiled, HeapMeter::NotAsked));
    }
    match cargo_build(root, profile, krate, HeapMeter::BuiltIn.features()) {
        Ok((wasm, compiled)) => Ok((wasm, compiled, HeapMeter::BuiltIn)),
        Err(BuildError::Compile { first_error }) => match HeapMeter::refused_by(&first_error) {
            // The meter is what broke the build: grade the lab as it is, without it.
            Some(why) => {
                let (wasm, compiled) = cargo_build(root, profile, krate, why.features())?;
                Ok((wasm, compiled, why))
            }
            None => Err(BuildError::Compile { first_error }),
        },
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::HeapMeter;

    #[test]
    fn a_build_the_meter_broke_is_told_from_one_the_lab_broke() {
        let conflict =
            "error: the `#[global_allocator]` in this crate conflicts with global allocator in: course_probe";
        assert_eq!(
            HeapMeter::refused_by(conflict),
            Some(HeapMeter::OwnAllocator)
        );
        let in_a_dependency =
            "error: the `#[global_allocator]` in course_probe conflicts with global allocator in: talc";
        assert_eq!(
            HeapMeter::refused_by(in_a_dependency),
            Some(HeapMeter::OwnAllocator)
        );
        let missing =
            "error: the package 'lab-2' does not contain this feature: course-probe/heap-meter";
        assert_eq!(HeapMeter::refused_by(missing), Some(HeapMeter::NoProbe));
        let own = "error[E0425]: cannot find value `mesage` in this scope";
        assert_eq!(HeapMeter::refused_by(own), None);
    }
}
