//! The graded checks: one trait, one implementation per requirement, looked up by the ids
//! the lab manifests list.

pub mod library;
mod mcp;
pub mod memory;
mod protocol;
mod robustness;
pub mod size;

use crate::course::{CheckSpec, Lab};
use crate::mcp_client::Client;
use crate::pipeline::Artefact;
use crate::report::{Budget, Category, Evidence, Location, Measure};
use crate::runtime::Server;
use crate::schema::Schemas;

/// What a check may use while it runs.
pub struct Context<'a> {
    pub server: &'a mut Server,
    pub client: &'a Client,
    pub schemas: &'a mut Schemas,
    /// The manifest entry that enabled this check (points, expectations).
    pub spec: &'a CheckSpec,
    /// The lab being graded (its bindings, fixtures).
    pub lab: &'a Lab,
    /// The built Worker being graded.
    pub artefact: &'a Artefact,
    /// Where files that go with the report (charts) are written.
    pub reports: &'a std::path::Path,
    /// Whether the reference solution is being graded.
    pub solution: bool,
}

/// One graded requirement.
pub trait Check {
    fn id(&self) -> &'static str;
    fn category(&self) -> Category;
    /// One line saying what is required.
    fn title(&self) -> &'static str;
    /// Book page and anchor that teaches it.
    fn doc(&self) -> &'static str;
    /// Spec section it comes from, if any.
    fn spec(&self) -> Option<&'static str> {
        None
    }
    fn run(&self, ctx: &mut Context) -> Outcome;
}

/// The result of running a check, before points are attached.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Share of the points earned, from 0 to 1; only 1 is a pass.
    pub credit: f64,
    pub message: String,
    pub hint: Option<String>,
    pub measured: Option<Measure>,
    pub budget: Option<Budget>,
    pub evidence: Option<Evidence>,
    pub location: Option<Location>,
}

impl Outcome {
    pub fn pass(message: impl Into<String>) -> Self {
        Self {
            credit: 1.0,
            message: message.into(),
            ..Self::default()
        }
    }

    pub fn fail(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            credit: 0.0,
            message: message.into(),
            hint: Some(hint.into()),
            ..Self::default()
        }
    }

    pub fn with_evidence(mut self, evidence: Option<Evidence>) -> Self {
        self.evidence = evidence;
        self
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }
}

/// Every runtime check the checker implements (`build` is the pipeline itself).
pub fn all() -> Vec<Box<dyn Check>> {
    let mut all = protocol::all();
    all.push(Box::new(robustness::SqlReadOnly));
    all.push(Box::new(robustness::BadInput));
    all.push(Box::new(size::RawBytes));
    all.push(Box::new(size::Behaviour));
    all.push(Box::new(size::Startup));
    all.push(Box::new(memory::Results));
    all.push(Box::new(memory::Growth));
    all.push(Box::new(memory::Peak));
    all.push(Box::new(memory::Limit));
    all
}

pub fn find(id: &str) -> Option<Box<dyn Check>> {
    all().into_iter().find(|c| c.id() == id)
}

/// What reports and the rubric say about a check, whichever registry implements it.
pub struct Described {
    pub category: Category,
    pub title: &'static str,
    pub doc: &'static str,
    pub spec: Option<&'static str>,
}

pub fn describe(id: &str) -> Option<Described> {
    if let Some(c) = find(id) {
        return Some(Described {
            category: c.category(),
            title: c.title(),
            doc: c.doc(),
            spec: c.spec(),
        });
    }
    library::find(id).map(|c| Described {
        category: c.category(),
        title: c.title(),
        doc: c.doc(),
        spec: None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_manifest_check_is_implemented() {
        for lab in crate::course::labs(&crate::course::root()).unwrap() {
            for spec in &lab.checks {
                assert!(
                    spec.id == "build" || super::describe(&spec.id).is_some(),
                    "{} lists `{}`, which the checker does not implement",
                    lab.id,
                    spec.id
                );
                assert!(
                    spec.points > 0.0 || spec.informational,
                    "{}: `{}` is worth no points but is not marked informational",
                    lab.id,
                    spec.id
                );
            }
        }
    }

    #[test]
    fn check_ids_are_unique_and_name_their_category() {
        let all = super::all();
        let mut ids: Vec<&str> = all.iter().map(|c| c.id()).collect();
        for check in &all {
            let category = serde_json::to_value(check.category()).unwrap();
            assert!(
                check
                    .id()
                    .starts_with(&format!("{}.", category.as_str().unwrap())),
                "{}",
                check.id()
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }
}
