//! `--format junit`: one `<testsuite>` per lab, one `<testcase>` per check, for CI systems and
//! classroom tools that read JUnit XML. Points and each check's lab task travel as
//! `<property>`s (per check and per lab), because JUnit itself only knows pass and fail. Written with quick-junit (nextest's JUnit
//! model) rather than by hand: escaping and the element order are its job.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{details_plain, points};
use crate::report::{Report, Status};

/// The reports of one or more labs as one JUnit document.
pub fn junit(reports: &[&Report]) -> String {
    let mut document = quick_junit::Report::new("checker");
    for report in reports {
        document.add_test_suite(suite(report));
    }
    document
        .set_time(Duration::from_millis(
            reports.iter().map(|r| r.duration_ms).sum(),
        ))
        .to_string()
        .expect("a JUnit document of strings always serialises")
}

fn suite(report: &Report) -> TestSuite {
    // Long on purpose: one testcase per check, with the element its status calls for.
    let who = if report.solution {
        " (reference solution)"
    } else {
        ""
    };
    let mut suite = TestSuite::new(format!("{} · {}{who}", report.lab, report.title));
    suite.set_time(Duration::from_millis(report.duration_ms));
    suite.add_properties([
        Property::new("lab", report.lab.as_str()),
        Property::new("target", report.target.as_str()),
        Property::new("score", points(report.score)),
        Property::new("max_score", points(report.max_score)),
        Property::new("passed", report.passed.to_string()),
        Property::new("schema_version", report.schema_version.to_string()),
    ]);
    for check in &report.checks {
        let first_line = check.message.lines().next().unwrap_or_default();
        let score = format!(
            "{}/{} points",
            points(check.points),
            points(check.max_points)
        );
        let status = match check.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Skipped => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(first_line);
                status
            }
            Status::Fail | Status::Error => {
                let kind = if check.status == Status::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut status = TestCaseStatus::non_success(kind);
                status
                    .set_message(format!("{score}: {first_line}"))
                    .set_type(check.category.name())
                    .set_description(details_plain(check, &report.lab));
                status
            }
        };
        let mut case = TestCase::new(check.id.as_str(), status);
        case.set_classname(format!("{}.{}", report.lab, check.category.name()));
        if let Some(ms) = check.duration_ms {
            case.set_time(Duration::from_millis(ms));
        }
        case.add_properties([
            Property::new("points", points(check.points)),
            Property::new("max_points", points(check.max_points)),
            Property::new("title", check.title.as_str()),
        ]);
        // The lab task the check belongs to, as in the JSON report (none for findings).
        if let Some(task) = &check.task {
            case.add_property(Property::new("task", task.as_str()));
        }
        if check.status == Status::Pass {
            case.set_system_out(check.message.as_str());
        }
        suite.add_test_case(case);
    }
    suite
}
