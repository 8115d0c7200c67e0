//! A JSON value seen only as far as a check needs it.
//!
//! The envelope is parsed straight into typed fields, but the client's JSON may have the wrong
//! type anywhere (`"method": 5`, `"latency_ms": "12"`). Those are answers the client must get
//! (an invalid request, a tool error), not parse errors, so a field is first read as a [`Json`]
//! — which never fails on a type — and checked afterwards. Strings are borrowed from the body
//! when they contain no escapes; arrays and objects are skipped, only their kind is kept.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl<'a> Json<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A non-negative integer, if this is one.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Json::U64(n) => Some(n),
            Json::I64(n) => u64::try_from(n).ok(),
            _ => None,
        }
    }

    /// The value as `serde_json` would give it back (arrays and objects come back empty: only
    /// scalars are ever echoed, e.g. a request id).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::U64(n) => Value::from(*n),
            Json::I64(n) => Value::from(*n),
            Json::F64(x) => Value::from(*x),
            Json::Str(s) => Value::String(s.as_ref().to_owned()),
            Json::Array => Value::Array(Vec::new()),
            Json::Object => Value::Object(Default::default()),
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Json::U64(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::I64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Json::F64(v))
    }

    // No escapes in the string: it is a slice of the body, nothing is allocated.
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }

    // Escapes were decoded into a scratch buffer that is reused: keep a copy.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Json::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Json::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Json::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Json::Object)
    }
}

/// Visitor methods for the kinds of JSON a visitor does not want: each one is consumed (so the
/// parser still checks its syntax) and answered with `$value`, never with an error.
macro_rules! scalars_are {
    ($value:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

macro_rules! arrays_are {
    ($de:lifetime, $value:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<$de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

macro_rules! objects_are {
    ($de:lifetime, $value:expr) => {
        fn visit_map<A: serde::de::MapAccess<$de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok($value)
        }
    };
}

pub(crate) use {arrays_are, objects_are, scalars_are};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let body = br#"["plain", "esc\u0061ped"]"#;
        let [plain, escaped]: [Json; 2] = serde_json::from_slice(body).unwrap();
        assert!(matches!(plain, Json::Str(Cow::Borrowed("plain"))));
        assert!(matches!(escaped, Json::Str(Cow::Owned(ref s)) if s == "escaped"));
    }

    #[test]
    fn any_type_is_accepted_and_nested_values_are_skipped() {
        let body = br#"[null, true, 7, -7, 1.5, {"a": [1, {"b": 2}]}, [[]]]"#;
        let values: Vec<Json> = serde_json::from_slice(body).unwrap();
        assert_eq!(
            values,
            [
                Json::Null,
                Json::Bool(true),
                Json::U64(7),
                Json::I64(-7),
                Json::F64(1.5),
                Json::Object,
                Json::Array
            ]
        );
        assert_eq!(values[2].as_u64(), Some(7));
        assert_eq!(values[3].as_u64(), None);
        assert_eq!(values[4].as_u64(), None);
    }
}
