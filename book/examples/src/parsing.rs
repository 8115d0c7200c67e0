//! Three ways to read the same request body, from the most memory to the least.
//!
//! The body: `{"source": "...", "events": [{"key": "cpu", "value": 0.5, ...}, ...]}`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

// ANCHOR: untyped
/// A tree of `Value`s: every object is a map, every string a fresh `String`, and every
/// field is kept, needed or not. Often several times the size of the body itself.
pub fn total_untyped(body: &[u8]) -> Result<f64, serde_json::Error> {
    let tree: Value = serde_json::from_slice(body)?;
    let events = tree["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    Ok(events.iter().filter_map(|e| e["value"].as_f64()).sum())
}
// ANCHOR_END: untyped

// ANCHOR: typed
/// Only the fields the tool reads; the others are skipped while parsing. `key` borrows
/// from the body unless the JSON string has escapes (then it is copied).
#[derive(Deserialize)]
pub struct Event<'a> {
    #[serde(borrow)]
    pub key: Cow<'a, str>,
    pub value: f64,
}

#[derive(Deserialize)]
pub struct Body<'a> {
    #[serde(borrow)]
    pub events: Vec<Event<'a>>,
}

pub fn total_typed(body: &[u8]) -> Result<f64, serde_json::Error> {
    let body: Body = serde_json::from_slice(body)?;
    Ok(body.events.iter().map(|e| e.value).sum())
}
// ANCHOR_END: typed

// ANCHOR: streaming
/// What the tool answers: folded while parsing, so no list of events ever exists.
#[derive(Debug, Default, PartialEq)]
pub struct Totals {
    pub count: u64,
    pub sum: f64,
}

pub fn total_streaming(body: &[u8]) -> Result<Totals, serde_json::Error> {
    #[derive(Deserialize)]
    struct Folded {
        events: Totals,
    }
    Ok(serde_json::from_slice::<Folded>(body)?.events)
}

impl<'de> Deserialize<'de> for Totals {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fold;
        impl<'de> Visitor<'de> for Fold {
            type Value = Totals;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of events")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut events: A) -> Result<Totals, A::Error> {
                let mut totals = Totals::default();
                // One event at a time: each is dropped before the next is parsed.
                while let Some(event) = events.next_element::<Event<'de>>()? {
                    totals.count += 1;
                    totals.sum += event.value;
                }
                Ok(totals)
            }
        }
        deserializer.deserialize_seq(Fold)
    }
}
// ANCHOR_END: streaming

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"source":"edge","events":[
        {"key":"cpu","value":0.5,"host":"a"},
        {"key":"c\"pu","value":1.5,"tags":["x"]},
        {"key":"mem","value":2}
    ]}"#;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn all_three_agree() {
        assert_eq!(total_untyped(BODY).unwrap(), 4.0);
        assert_eq!(total_typed(BODY).unwrap(), 4.0);
        assert_eq!(
            total_streaming(BODY).unwrap(),
            Totals { count: 3, sum: 4.0 }
        );
    }

    #[test]
    fn escaped_keys_are_copied_plain_ones_borrowed() {
        let body: Body = serde_json::from_slice(BODY).unwrap();
        assert!(matches!(body.events[0].key, Cow::Borrowed("cpu")));
        assert!(matches!(&body.events[1].key, Cow::Owned(k) if k == "c\"pu"));
    }
}
