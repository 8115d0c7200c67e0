//! `integrity`: first in every report, worth no points. The files that grade a lab belong
//! to the course; the work is in `crate::integrity`.

use super::{CourseContext, Outcome};

pub fn integrity(ctx: &CourseContext) -> Outcome {
    crate::integrity::verdict(ctx.root, ctx.lab, ctx.krate)
}
