//! Validation against the official MCP JSON schemas (`checker/mcp-schema/<revision>/`),
//! with a JSON Schema library: the schemas, not hand-written shape checks, decide.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use jsonschema::ValidatorMap;
use serde_json::Value;

/// Validators for every revision, compiled on first use.
pub struct Schemas {
    dir: PathBuf,
    compiled: HashMap<String, ValidatorMap>,
}

impl Schemas {
    pub fn new(root: &Path) -> Self {
        Self {
            dir: root.join("checker").join("mcp-schema"),
            compiled: HashMap::new(),
        }
    }

    /// Revisions with a schema, oldest first (their names sort by date).
    pub fn revisions(&self) -> Result<Vec<String>> {
        let mut revisions: Vec<String> = std::fs::read_dir(&self.dir)
            .with_context(|| format!("cannot read {}", self.dir.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("schema.json").is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        revisions.sort();
        Ok(revisions)
    }

    fn map(&mut self, revision: &str) -> Result<&ValidatorMap> {
        if !self.compiled.contains_key(revision) {
            let path = self.dir.join(revision).join("schema.json");
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("no MCP schema for revision {revision} ({})", path.display())
            })?;
            let schema: Value = serde_json::from_str(&text)?;
            let map = jsonschema::validator_map_for(&schema)
                .map_err(|e| anyhow::anyhow!("cannot compile the MCP {revision} schema: {e}"))?;
            self.compiled.insert(revision.to_owned(), map);
        }
        Ok(&self.compiled[revision])
    }

    /// Whether the revision defines `definition` (e.g. `JSONRPCResultResponse` is 2025-11-25+).
    pub fn defines(&mut self, revision: &str, definition: &str) -> Result<bool> {
        let map = self.map(revision)?;
        Ok(pointers(definition).iter().any(|p| map.get(p).is_some()))
    }

    /// Validates `instance` as the schema's `definition`; returns each violation as
    /// `<instance path>: <message>` (empty when valid).
    pub fn violations(
        &mut self,
        revision: &str,
        definition: &str,
        instance: &Value,
    ) -> Result<Vec<String>> {
        self.violations_at(revision, definition, instance, "")
    }

    /// Like [`Self::violations`], for an instance found at `prefix` inside a larger message.
    fn violations_at(
        &mut self,
        revision: &str,
        definition: &str,
        instance: &Value,
        prefix: &str,
    ) -> Result<Vec<String>> {
        let map = self.map(revision)?;
        let validator = pointers(definition)
            .iter()
            .find_map(|p| map.get(p))
            .with_context(|| format!("the MCP {revision} schema has no definition {definition}"))?;
        Ok(validator
            .iter_errors(instance)
            .map(|e| {
                let path = format!("{prefix}{}", e.instance_path());
                let at = if path.is_empty() {
                    "(top level)".to_owned()
                } else {
                    path
                };
                format!("{at}: {e}")
            })
            .collect())
    }

    /// Validates a successful JSON-RPC reply: the envelope, then its `result` as `result_definition`.
    pub fn result_violations(
        &mut self,
        revision: &str,
        reply: &Value,
        result_definition: &str,
    ) -> Result<Vec<String>> {
        let envelope = if self.defines(revision, "JSONRPCResultResponse")? {
            "JSONRPCResultResponse"
        } else {
            "JSONRPCResponse"
        };
        let mut found = self.violations(revision, envelope, reply)?;
        if let Some(result) = reply.get("result") {
            found.extend(self.violations_at(revision, result_definition, result, "/result")?);
        }
        Ok(found)
    }
}

impl Schemas {
    /// Validates a JSON-RPC error reply. Codes the revision defines its own shape for
    /// (e.g. -32022 `UnsupportedProtocolVersionError` in 2026-07-28) are held to it.
    ///
    /// An `"id": null` stands in for a request id first: JSON-RPC 2.0 § 5 requires null when
    /// the request's id could not be read (a parse error, an invalid request), while the MCP
    /// schemas have no null id (older ones even require an id). The server cannot do better
    /// than JSON-RPC here, so the rest of the message is validated as if it had an id.
    pub fn error_violations(&mut self, revision: &str, reply: &Value) -> Result<Vec<String>> {
        let mut reply = reply.clone();
        if let Some(fields) = reply.as_object_mut() {
            if fields.get("id") == Some(&Value::Null) {
                fields.insert("id".into(), Value::from(0));
            }
        }
        let specific = match reply.pointer("/error/code").and_then(Value::as_i64) {
            Some(-32022) => Some("UnsupportedProtocolVersionError"),
            Some(-32020) => Some("HeaderMismatchError"),
            Some(-32021) => Some("MissingRequiredClientCapabilityError"),
            _ => None,
        };
        let envelope = match specific {
            Some(definition) if self.defines(revision, definition)? => definition,
            _ if self.defines(revision, "JSONRPCErrorResponse")? => "JSONRPCErrorResponse",
            _ => "JSONRPCError",
        };
        self.violations(revision, envelope, &reply)
    }
}

/// Draft-07 schemas keep definitions under `definitions`, 2020-12 ones under `$defs`.
fn pointers(definition: &str) -> [String; 2] {
    [
        format!("#/$defs/{definition}"),
        format!("#/definitions/{definition}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Schemas {
        Schemas::new(&crate::course::root())
    }

    #[test]
    fn every_revision_compiles() {
        let mut s = schemas();
        let revisions = s.revisions().unwrap();
        assert_eq!(
            revisions,
            [
                "2024-11-05",
                "2025-03-26",
                "2025-06-18",
                "2025-11-25",
                "2026-07-28"
            ]
        );
        for r in &revisions {
            assert!(s.defines(r, "Tool").unwrap(), "{r} defines Tool");
        }
    }

    #[test]
    fn a_null_id_parse_error_is_valid_and_a_wrong_code_shape_is_not() {
        let mut s = schemas();
        let parse =
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}});
        for r in s.revisions().unwrap() {
            assert_eq!(
                s.error_violations(&r, &parse).unwrap(),
                Vec::<String>::new(),
                "{r}"
            );
        }
        let bare = json!({"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"unsupported"}});
        let found = s.error_violations("2026-07-28", &bare).unwrap();
        assert!(found.iter().any(|v| v.contains("data")), "{found:?}");
    }

    #[test]
    fn a_complete_initialize_result_is_valid_and_a_bare_one_is_not() {
        let mut s = schemas();
        let good = json!({"jsonrpc":"2.0","id":1,"result":{
            "protocolVersion":"2025-11-25","capabilities":{"tools":{}},
            "serverInfo":{"name":"x","version":"1"}}});
        assert_eq!(
            s.result_violations("2025-11-25", &good, "InitializeResult")
                .unwrap(),
            Vec::<String>::new()
        );
        let bare = json!({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2024-11-05","serverInfo":{"name":"x"}}});
        let found = s
            .result_violations("2024-11-05", &bare, "InitializeResult")
            .unwrap();
        assert!(
            found.iter().any(|v| v.contains("capabilities")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|v| v.contains("/serverInfo") && v.contains("version")),
            "{found:?}"
        );
    }
}
