//! The JSON-RPC envelope, parsed in one pass straight into the fields this server uses.
//!
//! Only what a method needs is kept: `jsonrpc`, `id`, `method`, and of `params` the
//! `protocolVersion` (initialize), `name` and `arguments.events` (tools/call). Everything
//! else is skipped by the parser without being built. `events` is folded as it is read (see
//! [`crate::events`]), wherever it appears in the body: keys may come in any order, so the
//! events can arrive before `method` says what they are for.
//!
//! The visitors here never fail on a type, only serde_json fails, and only on malformed JSON:
//! so an error from [`parse`] is always a parse error (-32700).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::events::{Events, EventsSeed, MIN_EVENT_BYTES};
use crate::json::{arrays_are, scalars_are, Json};

#[derive(Debug, Default)]
pub struct Envelope<'a> {
    /// The message is a JSON object (not an array, a string, …).
    pub object: bool,
    pub jsonrpc: Option<Json<'a>>,
    pub id: Option<Json<'a>>,
    pub method: Option<Json<'a>>,
    pub params: Option<Params<'a>>,
    /// It has `result` or `error`: a JSON-RPC response, not a request.
    pub is_response: bool,
}

#[derive(Debug)]
pub enum Params<'a> {
    Object(ParamFields<'a>),
    NotObject,
}

#[derive(Debug, Default)]
pub struct ParamFields<'a> {
    pub protocol_version: Option<Json<'a>>,
    pub name: Option<Json<'a>>,
    pub arguments: Option<Arguments<'a>>,
}

#[derive(Debug)]
pub enum Arguments<'a> {
    Object { events: Option<Events<'a>> },
    NotObject,
}

/// Parses one message. The body must outlive the envelope: strings and keys borrow from it.
pub fn parse(body: &[u8]) -> serde_json::Result<Envelope<'_>> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let seed = EnvelopeSeed {
        capacity: body.len() / MIN_EVENT_BYTES,
    };
    let envelope = seed.deserialize(&mut deserializer)?;
    // Only whitespace may follow the message.
    deserializer.end()?;
    Ok(envelope)
}

/// Every seed carries the room to reserve for latencies down to the `events` array.
#[derive(Clone, Copy)]
struct EnvelopeSeed {
    capacity: usize,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed {
    type Value = Envelope<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-RPC message")
    }

    scalars_are!(Envelope::default());
    arrays_are!('de, Envelope::default());

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            object: true,
            ..Envelope::default()
        };
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Jsonrpc => envelope.jsonrpc = Some(map.next_value()?),
                Key::Id => envelope.id = Some(map.next_value()?),
                Key::Method => envelope.method = Some(map.next_value()?),
                Key::Params => {
                    // A repeated key: the last one counts; drop the first before reading on.
                    drop(envelope.params.take());
                    envelope.params = Some(map.next_value_seed(ParamsSeed {
                        capacity: self.capacity,
                    })?);
                }
                Key::Result | Key::Error => {
                    envelope.is_response = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

struct ParamsSeed {
    capacity: usize,
}

impl<'de> DeserializeSeed<'de> for ParamsSeed {
    type Value = Params<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ParamsSeed {
    type Value = Params<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("params")
    }

    scalars_are!(Params::NotObject);
    arrays_are!('de, Params::NotObject);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = ParamFields::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::ProtocolVersion => fields.protocol_version = Some(map.next_value()?),
                Key::Name => fields.name = Some(map.next_value()?),
                Key::Arguments => {
                    drop(fields.arguments.take());
                    fields.arguments = Some(map.next_value_seed(ArgumentsSeed {
                        capacity: self.capacity,
                    })?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Params::Object(fields))
    }
}

struct ArgumentsSeed {
    capacity: usize,
}

impl<'de> DeserializeSeed<'de> for ArgumentsSeed {
    type Value = Arguments<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ArgumentsSeed {
    type Value = Arguments<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("tool arguments")
    }

    scalars_are!(Arguments::NotObject);
    arrays_are!('de, Arguments::NotObject);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut events = None;
        while let Some(key) = map.next_key::<Key>()? {
            if let Key::Events = key {
                drop(events.take());
                events = Some(map.next_value_seed(EventsSeed {
                    capacity: self.capacity,
                })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Arguments::Object { events })
    }
}

/// The object keys this server looks for, at any level; every other key is `Other`. Matched
/// against the parser's slice of the body: reading a key allocates nothing.
enum Key {
    Jsonrpc,
    Id,
    Method,
    Params,
    Result,
    Error,
    ProtocolVersion,
    Name,
    Arguments,
    Events,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            "jsonrpc" => Key::Jsonrpc,
            "id" => Key::Id,
            "method" => Key::Method,
            "params" => Key::Params,
            "result" => Key::Result,
            "error" => Key::Error,
            "protocolVersion" => Key::ProtocolVersion,
            "name" => Key::Name,
            "arguments" => Key::Arguments,
            "events" => Key::Events,
            _ => Key::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_envelope_and_folds_the_events() {
        let body = br#"{"params": {"arguments": {"events": [{"ts": 1, "key": "k", "latency_ms": 2, "ok": true}], "other": [1]},
                         "name": "summarize_events", "_meta": {"progressToken": 1}},
                        "method": "tools/call", "id": 7, "jsonrpc": "2.0"}"#;
        let envelope = parse(body).unwrap();
        assert!(envelope.object);
        assert_eq!(envelope.id, Some(Json::U64(7)));
        assert_eq!(
            envelope.method.as_ref().and_then(Json::as_str),
            Some("tools/call")
        );
        let Some(Params::Object(params)) = envelope.params else {
            panic!("no params")
        };
        assert_eq!(
            params.name.as_ref().and_then(Json::as_str),
            Some("summarize_events")
        );
        let Some(Arguments::Object {
            events: Some(Events::Folded(acc)),
        }) = params.arguments
        else {
            panic!("events not folded")
        };
        assert_eq!(acc.count(), 1);
    }

    #[test]
    fn wrong_types_are_values_not_errors() {
        let envelope =
            parse(br#"{"jsonrpc": 2, "method": ["x"], "params": [1], "id": {"a": 1}}"#).unwrap();
        assert_eq!(envelope.jsonrpc, Some(Json::U64(2)));
        assert_eq!(envelope.method, Some(Json::Array));
        assert_eq!(envelope.id, Some(Json::Object));
        assert!(matches!(envelope.params, Some(Params::NotObject)));
        assert!(!parse(b"[1, 2]").unwrap().object);
        assert!(!parse(b"\"text\"").unwrap().object);
    }

    #[test]
    fn only_malformed_json_fails() {
        assert!(parse(b"{\"jsonrpc\": \"2.0\",").is_err());
        assert!(parse(b"{} {}").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b" {} \n").is_ok());
    }

    #[test]
    fn keys_written_with_escapes_are_recognised() {
        let envelope = parse(br#"{"\u006dethod": "ping", "methods": 1}"#).unwrap();
        assert_eq!(
            envelope.method.as_ref().and_then(Json::as_str),
            Some("ping")
        );
    }
}
