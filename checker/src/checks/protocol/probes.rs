//! The probes of lab 4's tool checks — the KV keys, the SQL, the failing calls — as the
//! sections `[kv]`, `[query]`, `[[tool_error]]` and `[modern]` of the lab's `cases.toml`
//! (its header comment documents them). What each check concludes stays in Rust.

use serde::Deserialize;
use serde_json::Value;

use crate::checks::robustness::{cannot_load, Cases};
use crate::checks::Outcome;
use crate::course::Lab;

/// `[kv]`: what `protocol.tools-kv` stores, reads back, lists and stores with a TTL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kv {
    /// The key `store_value` writes, `get_value` reads back and `list_keys` must list.
    pub key: String,
    /// What `store_value` writes under `key`, followed by a space and a number new each run.
    pub value: String,
    /// The `prefix` of the `list_keys` call: `key` must be among the keys listed.
    pub list_prefix: String,
    /// The key `store_value` writes with `ttl_seconds`, and its value.
    pub ttl_key: String,
    pub ttl_value: String,
    /// The `ttl_seconds` argument: KV must hold `ttl_key` expiring that long from now.
    pub ttl_seconds: i64,
    /// The longest key and value the tools accept, in bytes: a key of exactly this many
    /// bytes (starting with `list_prefix`) with a value of exactly `max_value_bytes` must be
    /// stored. (`robustness.bad-input` sends one byte more of each.)
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    /// How many keys `list_keys` returns when the call gives no `limit`: one more than this
    /// many keys are stored under a prefix of their own, and exactly this many must come back.
    pub default_list_limit: usize,
    /// The shortest `ttl_seconds` accepted (KV's minimum): a tool's inputSchema that states a
    /// `minimum` for it must not state less.
    pub min_ttl_seconds: u64,
}

/// `[query]`: the `query_data` calls of `protocol.tools-query`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// A query with `?` placeholders and their `params`: the rows must be those D1 itself
    /// returns for `truth`, the same query with the values written in.
    pub sql: String,
    pub params: Vec<Value>,
    pub truth: String,
    /// A query binding a number, a boolean and a null (`typed_params`): the rows must be those
    /// D1 returns for `typed_truth`, the values written in as D1 converts them (a boolean is
    /// the integer 1 or 0). Written as a JSON array, since TOML has no null.
    pub typed_sql: String,
    #[serde(deserialize_with = "json_array")]
    pub typed_params: Vec<Value>,
    pub typed_truth: String,
    /// A query whose parameter matches rows when pasted into the SQL and none when bound.
    pub injection_sql: String,
    pub injection_params: Vec<Value>,
    /// `truth` ending in one `;`, as a model often writes it: still one statement, so it must
    /// return the same rows.
    pub terminated_sql: String,
    /// Reads a guard that does not tokenise refuses: writing words inside strings, quoted
    /// names and comments, an escaped quote, a `;` in a string. Each must return the rows D1
    /// itself returns for it.
    pub harmless_reads: Vec<String>,
    /// A query of `many_rows` rows, more than the lab's `row_limit`: exactly `row_limit`
    /// must come back, marked truncated.
    pub many_rows_sql: String,
    pub many_rows: usize,
    /// A query of exactly `row_limit` rows: all must come back, not truncated.
    pub limit_rows_sql: String,
}

/// `[[tool_error]]`: a tool call of `protocol.tool-errors` that must come back as an
/// `isError` result with a text saying why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolError {
    /// Shown in the report.
    pub name: String,
    /// The tool called, with these `arguments` (a table; `{}` for none).
    pub tool: String,
    pub arguments: Value,
}

/// `[modern]`: the tool calls of `protocol.stateless-requests` and
/// `protocol.header-validation`, both of 2026-07-28.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modern {
    /// A call served with no handshake, which must succeed.
    pub call_tool: String,
    pub call_arguments: Value,
    /// A call sent with an `Mcp-Name` header of `mismatch_name` instead of its tool's name,
    /// which must be refused.
    pub mismatch_tool: String,
    pub mismatch_arguments: Value,
    pub mismatch_name: String,
}

/// The section `name` of the lab's `cases.toml`, picked out by `pick`, or the failed
/// outcome that names the file and what is wrong with it.
/// A JSON array written as a TOML string.
fn json_array<'de, D: serde::Deserializer<'de>>(from: D) -> Result<Vec<Value>, D::Error> {
    let text = String::deserialize(from)?;
    serde_json::from_str(&text)
        .map_err(|e| serde::de::Error::custom(format!("not a JSON array ({e}): {text}")))
}

pub fn section<T>(
    lab: &Lab,
    name: &str,
    pick: impl FnOnce(Cases) -> Option<T>,
) -> Result<T, Box<Outcome>> {
    Cases::of(lab)
        .and_then(|cases| cases.section(name, pick))
        .map_err(|e| Box::new(cannot_load(e)))
}

impl Cases {
    /// The section `name`, picked out by `pick`, or why there is none (naming the file).
    fn section<T>(self, name: &str, pick: impl FnOnce(Self) -> Option<T>) -> Result<T, String> {
        let path = self.path.display().to_string();
        pick(self).ok_or_else(|| format!("{path} has no {name} section"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::robustness::CASES_FILE;

    #[test]
    fn lab_4_has_every_section() {
        let lab = crate::course::find(&crate::course::root(), "lab-4").expect("lab 4");
        let cases = Cases::of(&lab).unwrap_or_else(|e| panic!("{e}"));
        assert!(cases.kv.is_some() && cases.query.is_some() && cases.modern.is_some());
        assert!(cases.tool_errors.is_some_and(|t| !t.is_empty()));
    }

    #[test]
    fn a_missing_or_invalid_section_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CASES_FILE);
        let path_text = path.display().to_string();
        let minimal = "[[case]]\nname = \"x\"\nbody = \"\"\nexpect = { statuses = [400] }\n\
                       [[write_attempt]]\nsql = \"VACUUM\"\n";
        std::fs::write(&path, minimal).unwrap();
        let e = Cases::read(&path)
            .and_then(|c| c.section("[kv]", |c| c.kv))
            .unwrap_err();
        assert!(e.contains(&path_text) && e.contains("[kv]"), "{e}");
        let outcome = cannot_load(e);
        assert_eq!(outcome.credit, 0.0);
        assert!(outcome.message.contains(&path_text), "{}", outcome.message);
        std::fs::write(&path, format!("{minimal}[kv]\nkey = \"k\"\n")).unwrap();
        let e = Cases::read(&path).unwrap_err();
        assert!(e.contains(&path_text) && e.contains("value"), "{e}");
        std::fs::write(
            &path,
            format!("{minimal}[[tool_error]]\nname = \"x\"\nsurprise = 1\n"),
        )
        .unwrap();
        let e = Cases::read(&path).unwrap_err();
        assert!(e.contains(&path_text) && e.contains("surprise"), "{e}");
    }
}
