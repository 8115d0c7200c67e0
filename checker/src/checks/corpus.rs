//! The behaviour corpus: recorded requests whose replies must not change while a lab makes
//! its server smaller (lab 3, `size.behaviour`) or leaner (lab 2, `protocol.behaviour`). The
//! expected replies are the starting point's, recorded by `checker corpus <lab> --write`.

use serde::Deserialize;
use serde_json::Value;

use super::{Context, Outcome};
use crate::mcp_client::Raw;

/// One request of the behaviour corpus and the reply the starting point gives.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct CorpusEntry {
    pub name: String,
    /// Another path than the MCP endpoint (`/not-mcp`), for the routing replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The raw request body.
    pub body: String,
    pub expected: Expected,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct Expected {
    pub status: u16,
    /// The reply body as JSON (`null` for an empty body).
    pub json: Value,
}

/// The corpus file named by the `size.behaviour` (lab 3) or `protocol.behaviour` (lab 2)
/// entry of the manifest.
pub fn corpus_path(lab: &crate::course::Lab) -> std::path::PathBuf {
    let file = lab
        .checks
        .iter()
        .find_map(|c| c.corpus.as_deref())
        .unwrap_or("corpus.json");
    lab.manifest_dir.join(file)
}

pub fn load_corpus(lab: &crate::course::Lab) -> anyhow::Result<Vec<CorpusEntry>> {
    let path = corpus_path(lab);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// Sends one corpus request; returns the status and the body as JSON (null when empty,
/// a string when not JSON).
pub fn replay(
    client: &crate::mcp_client::Client,
    entry: &CorpusEntry,
) -> (Option<Expected>, crate::mcp_client::Exchange) {
    let mut raw = Raw::post(entry.body.clone());
    raw.path = entry.path.clone();
    for (k, v) in &entry.headers {
        raw = raw.header(k, v);
    }
    let exchange = client.send(raw);
    let got = exchange.reply().map(|r| Expected {
        status: r.status,
        json: match &r.json {
            Some(v) => v.clone(),
            None if r.body.is_empty() => Value::Null,
            None => Value::String(r.body.clone()),
        },
    });
    (got, exchange)
}

/// Every reply of the corpus unchanged (JSON compared as data, key order aside).
pub fn behaviour(ctx: &mut Context) -> Outcome {
    let corpus = match load_corpus(ctx.lab) {
        Ok(c) => c,
        Err(e) => return Outcome::fail(format!("{e:#}"), "Report this to the course maintainers."),
    };
    let mut tally = super::mcp::Tally::default();
    for entry in &corpus {
        let (got, exchange) = replay(ctx.client, entry);
        let verdict = match got {
            None => Err(exchange.summary()),
            Some(got) if got == entry.expected => Ok(()),
            Some(got) if got.status != entry.expected.status => Err(format!(
                "HTTP {} instead of {}",
                got.status, entry.expected.status
            )),
            Some(got) => Err(format!(
                "reply differs: {}",
                crate::mcp_client::truncate(&got.json.to_string(), 160)
            )),
        };
        let expected = format!(
            "HTTP {} {}",
            entry.expected.status,
            crate::mcp_client::truncate(&entry.expected.json.to_string(), 400)
        );
        tally.case(&entry.name, &exchange, &expected, verdict);
    }
    tally.outcome(
        format!("all {} corpus replies are unchanged", corpus.len()),
        "Change how the server works, not what it says: compare your reply with the expected one shown above.",
    )
}
