//! `integrity`: first in every report, worth no points. The files that grade a lab belong
//! to the course; the work is in `crate::integrity`.

use super::{Check, On, Outcome};

pub struct Integrity;

impl Check for Integrity {
    fn run(&self, on: On) -> Outcome {
        let ctx = on.course();
        crate::integrity::verdict(ctx.root, ctx.lab, ctx.krate)
    }
}
