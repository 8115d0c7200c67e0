//! `integrity`: first in every report, worth no points. The files that grade a lab belong
//! to the course; the work is in `crate::integrity`.

use super::{Check, CheckMeta, On, Outcome, Runs};
use crate::report::Category;

pub struct Integrity;

impl Check for Integrity {
    fn meta(&self) -> &'static CheckMeta {
        &CheckMeta {
            id: "integrity",
            category: Category::Integrity,
            title: "the course's files (graded tests, budgets, fixtures, the checker) are unchanged",
            doc: "reference/report.md#integrity",
            spec: None,
            runs: Runs::Course,
        }
    }

    fn run(&self, on: On) -> Outcome {
        let ctx = on.course();
        crate::integrity::verdict(ctx.root, ctx.lab, ctx.krate)
    }
}
