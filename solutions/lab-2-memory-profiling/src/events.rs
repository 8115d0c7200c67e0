//! The `events` array, consumed while it is parsed.
//!
//! [`EventsSeed`] is handed to serde_json at the position of `arguments.events`. Its visitor
//! pulls one event at a time out of the parser, checks it, folds it into an [`Accumulator`]
//! and forgets it: the only copy of the events is the request body itself.
//!
//! A bad event is the client's mistake, answered with a tool error, so the visitors never
//! return a serde error for a wrong type or a missing field: they report a [`Problem`] as a
//! value and skip the rest of the array (which is still checked for JSON syntax).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::json::{objects_are, scalars_are, Json};
use crate::summary::{Accumulator, Event};

/// The shortest valid event, `{"ts":0,"key":"","latency_ms":0,"ok":true}` and a comma:
/// a body of `n` bytes holds at most `n / MIN_EVENT_BYTES` events.
pub const MIN_EVENT_BYTES: usize = 43;

/// The outcome of reading `arguments.events`.
#[derive(Debug)]
pub enum Events<'a> {
    /// Every event was valid (possibly none).
    Folded(Accumulator<'a>),
    /// The first bad event, described for the client.
    Invalid(String),
    /// `events` was not an array.
    NotArray,
}

/// What is wrong with one event.
#[derive(Debug, PartialEq)]
pub enum Problem {
    NotObject,
    Missing(&'static str),
    WrongType(&'static str),
}

impl Problem {
    pub fn describe(&self, index: usize) -> String {
        match self {
            Problem::NotObject => format!("events[{index}] must be an object"),
            Problem::Missing(field) => format!("events[{index}] is missing \"{field}\""),
            Problem::WrongType(field) => {
                format!("events[{index}].{field} must be {}", expected(field))
            }
        }
    }
}

/// The type each field must have, as the error message says it.
pub fn expected(field: &str) -> &'static str {
    match field {
        "ts" => "an integer from 0 to 18446744073709551615 (milliseconds)",
        "key" => "a string",
        "latency_ms" => "an integer from 0 to 4294967295",
        _ => "a boolean",
    }
}

/// Reads `events`. `capacity`: how many latencies to make room for up front (an upper bound
/// from the body size, see [`MIN_EVENT_BYTES`]).
pub struct EventsSeed {
    pub capacity: usize,
}

impl<'de> DeserializeSeed<'de> for EventsSeed {
    type Value = Events<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed {
    type Value = Events<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }

    scalars_are!(Events::NotArray);
    objects_are!('de, Events::NotArray);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut acc = Accumulator::with_capacity(self.capacity);
        let mut index = 0;
        while let Some(event) = seq.next_element_seed(EventSeed)? {
            match event {
                Ok(event) => acc.add(event),
                Err(problem) => {
                    drop(acc);
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(Events::Invalid(problem.describe(index)));
                }
            }
            index += 1;
        }
        Ok(Events::Folded(acc))
    }
}

/// Reads one element of `events`.
struct EventSeed;

impl<'de> DeserializeSeed<'de> for EventSeed {
    type Value = Result<Event<'de>, Problem>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventSeed {
    type Value = Result<Event<'de>, Problem>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object")
    }

    scalars_are!(Err(Problem::NotObject));

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(Problem::NotObject))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Fields may come in any order and repeat (the last one counts, as in serde_json's
        // `Value`); they are checked once the object is complete.
        let (mut ts, mut key, mut latency, mut ok) = (None, None, None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Ts => ts = Some(map.next_value::<Json<'de>>()?),
                Field::Key => key = Some(map.next_value::<Json<'de>>()?),
                Field::LatencyMs => latency = Some(map.next_value::<Json<'de>>()?),
                Field::Ok => ok = Some(map.next_value::<Json<'de>>()?),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(check(ts, key, latency, ok))
    }
}

/// Checks the fields in a fixed order (ts, key, latency_ms, ok), so the first problem reported
/// does not depend on the order the client wrote them in.
fn check<'a>(
    ts: Option<Json<'a>>,
    key: Option<Json<'a>>,
    latency: Option<Json<'a>>,
    ok: Option<Json<'a>>,
) -> Result<Event<'a>, Problem> {
    let ts = match ts {
        None => return Err(Problem::Missing("ts")),
        Some(v) => v.as_u64().ok_or(Problem::WrongType("ts"))?,
    };
    let key = match key {
        None => return Err(Problem::Missing("key")),
        Some(Json::Str(s)) => s,
        Some(_) => return Err(Problem::WrongType("key")),
    };
    let latency_ms = match latency {
        None => return Err(Problem::Missing("latency_ms")),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(Problem::WrongType("latency_ms"))?,
    };
    let ok = match ok {
        None => return Err(Problem::Missing("ok")),
        Some(Json::Bool(b)) => b,
        Some(_) => return Err(Problem::WrongType("ok")),
    };
    Ok(Event {
        ts,
        key,
        latency_ms,
        ok,
    })
}

/// The field names of an event, matched without allocating.
enum Field {
    Ts,
    Key,
    LatencyMs,
    Ok,
    Other,
}

impl<'de> de::Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        Ok(match v {
            "ts" => Field::Ts,
            "key" => Field::Key,
            "latency_ms" => Field::LatencyMs,
            "ok" => Field::Ok,
            _ => Field::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn read(json: &str) -> Events<'_> {
        let mut de = serde_json::Deserializer::from_str(json);
        let events = EventsSeed { capacity: 0 }.deserialize(&mut de).unwrap();
        de.end().unwrap();
        events
    }

    fn invalid(json: &str) -> String {
        match read(json) {
            Events::Invalid(message) => message,
            other => panic!("expected a problem, got {other:?}"),
        }
    }

    #[test]
    fn folds_events_in_any_field_order_and_ignores_extra_fields() {
        let json = r#"[
            {"ts": 20, "key": "a", "latency_ms": 5, "ok": true},
            {"ok": false, "latency_ms": 7, "region": {"name": "eu", "ids": [1, 2]}, "key": "b", "ts": 10},
            {"key": "a", "ts": 30, "ok": true, "latency_ms": 9, "note": null}
        ]"#;
        let Events::Folded(acc) = read(json) else {
            panic!("not folded")
        };
        assert_eq!(acc.count(), 3);
        let s = acc.finish().unwrap();
        assert_eq!((s.count, s.ok, s.errors), (3, 2, 1));
        assert_eq!(
            (s.latency_ms.min, s.latency_ms.max, s.latency_ms.p50),
            (5, 9, 7)
        );
        assert_eq!((s.ts.first, s.ts.last), (10, 30));
        assert_eq!(s.top_keys[0].key, "a");
        assert_eq!(s.top_keys[0].count, 2);
    }

    #[test]
    fn keys_borrow_from_the_body_unless_escaped() {
        let json = r#"[{"ts":1,"key":"plain","latency_ms":1,"ok":true},
                       {"ts":1,"key":"caf\u00e9","latency_ms":1,"ok":true}]"#;
        let Events::Folded(acc) = read(json) else {
            panic!("not folded")
        };
        let top = acc.finish().unwrap().top_keys;
        assert!(top.iter().any(|k| matches!(k.key, Cow::Borrowed("plain"))));
        assert!(top
            .iter()
            .any(|k| matches!(k.key, Cow::Owned(ref s) if s == "café")));
    }

    #[test]
    fn the_first_bad_event_is_reported() {
        assert_eq!(
            invalid(r#"[{"ts":1,"key":"a","latency_ms":1,"ok":true}, 5]"#),
            "events[1] must be an object"
        );
        assert_eq!(
            invalid(r#"[{"key":"a","latency_ms":1,"ok":true}]"#),
            "events[0] is missing \"ts\""
        );
        assert_eq!(
            invalid(r#"[{"ts":1,"key":"a","latency_ms":"1","ok":true}, {"bad": 1}]"#),
            "events[0].latency_ms must be an integer from 0 to 4294967295"
        );
        assert!(invalid(r#"[{"ts":-1,"key":"a","latency_ms":1,"ok":true}]"#)
            .starts_with("events[0].ts must be"));
        assert!(
            invalid(r#"[{"ts":1.5,"key":"a","latency_ms":1,"ok":true}]"#)
                .starts_with("events[0].ts must be")
        );
        assert!(
            invalid(r#"[{"ts":1,"key":"a","latency_ms":4294967296,"ok":true}]"#)
                .starts_with("events[0].latency_ms must be")
        );
        assert_eq!(
            invalid(r#"[{"ts":1,"key":7,"latency_ms":1,"ok":true}]"#),
            "events[0].key must be a string"
        );
        assert_eq!(
            invalid(r#"[{"ts":1,"key":"a","latency_ms":1,"ok":"yes"}]"#),
            "events[0].ok must be a boolean"
        );
        // Fields are checked in a fixed order, whatever order they were written in.
        assert_eq!(
            invalid(r#"[{"ok":1,"key":"a","latency_ms":1}]"#),
            "events[0] is missing \"ts\""
        );
    }

    #[test]
    fn largest_values_are_accepted() {
        let json = r#"[{"ts":18446744073709551615,"key":"","latency_ms":4294967295,"ok":false}]"#;
        let Events::Folded(acc) = read(json) else {
            panic!("not folded")
        };
        let s = acc.finish().unwrap();
        assert_eq!(s.ts.last, u64::MAX);
        assert_eq!(s.latency_ms.max, u32::MAX);
    }

    #[test]
    fn not_an_array() {
        assert!(matches!(read(r#"{"ts": 1}"#), Events::NotArray));
        assert!(matches!(read(r#""[]""#), Events::NotArray));
        assert!(matches!(read("null"), Events::NotArray));
    }

    #[test]
    fn a_syntax_error_after_a_bad_event_is_still_a_syntax_error() {
        let mut de = serde_json::Deserializer::from_str(r#"[5, {"ts": ]"#);
        assert!(EventsSeed { capacity: 0 }.deserialize(&mut de).is_err());
    }

    #[test]
    fn the_shortest_event_is_min_event_bytes_long() {
        let shortest = r#"{"ts":0,"key":"","latency_ms":0,"ok":true},"#;
        assert_eq!(shortest.len(), MIN_EVENT_BYTES);
    }
}
