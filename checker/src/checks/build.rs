//! `build`: a Worker lab's crate builds for wasm32 and binds as a Worker. The pipeline does
//! the work (`crate::pipeline`); this check says what came of it.

use super::Outcome;
use crate::pipeline::BuildFailure;

/// What the build of a Worker lab came to.
pub enum Built<'a> {
    /// The Worker was built: its package and the bytes of its module.
    Done { package: &'a str, wasm_bytes: u64 },
    /// The student's crate did not build (compile error, timeout, wasm-bindgen mismatch).
    Failed(&'a BuildFailure),
    /// The tools could not be prepared or failed: not the student's code. The whole message.
    Tools(String),
}

/// What the `build` check reads.
pub struct BuildContext<'a> {
    pub built: Built<'a>,
}

pub fn build(ctx: &BuildContext) -> Outcome {
    match &ctx.built {
        Built::Done {
            package,
            wasm_bytes,
        } => Outcome::pass(format!(
            "{package} built for wasm32 and bound for Workers ({wasm_bytes} bytes of wasm)"
        )),
        Built::Failed(failure) => {
            Outcome::error(failure.message.clone(), Some(failure.hint.clone()))
                .at(failure.location.clone())
                .kind(failure.kind)
        }
        Built::Tools(message) => Outcome::error(message.clone(), None),
    }
}
