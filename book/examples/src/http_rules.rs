//! Small rules of MCP's Streamable HTTP transport, each as a pure function (the MCP page).
//! They show the rule; lab 4 asks you to put rules like these in the right place of a whole
//! server.

// ANCHOR: negotiate
/// Version negotiation in the initialize era: answer with the version the client asked for
/// when you speak it, otherwise with the newest you speak (`supported` is newest first).
/// The client then decides whether it can live with that.
pub fn negotiate<'a>(requested: &str, supported: &[&'a str]) -> &'a str {
    supported
        .iter()
        .copied()
        .find(|version| *version == requested)
        .unwrap_or(supported[0])
}
// ANCHOR_END: negotiate

// ANCHOR: origin
/// An `Origin` header is `scheme://host[:port]`, nothing more: compare it whole. A prefix
/// test lets `http://localhost.evil.example` in because it starts with `http://localhost`.
pub fn origin_allowed(origin: &str, allowed: &[&str]) -> bool {
    allowed.contains(&origin)
}
// ANCHOR_END: origin

// ANCHOR: field-value
/// An HTTP field value without the optional whitespace (spaces and tabs) around it, which
/// is not part of the value (RFC 9110 § 5.5). workerd strips it before a value, not after.
pub fn field_value(raw: &str) -> &str {
    raw.trim_matches([' ', '\t'])
}
// ANCHOR_END: field-value

#[cfg(test)]
mod tests {
    use super::*;

    const SUPPORTED: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];

    #[test]
    fn a_version_we_speak_comes_back_unchanged() {
        assert_eq!(negotiate("2025-06-18", &SUPPORTED), "2025-06-18");
    }

    #[test]
    fn a_version_we_do_not_speak_gets_our_newest() {
        assert_eq!(negotiate("1999-01-01", &SUPPORTED), "2025-11-25");
    }

    #[test]
    fn origins_are_compared_whole() {
        let allowed = ["http://localhost:8787"];
        assert!(origin_allowed("http://localhost:8787", &allowed));
        assert!(!origin_allowed("http://localhost:8787.evil.example", &allowed));
        assert!(!origin_allowed("http://localhost", &allowed));
    }

    #[test]
    fn whitespace_around_a_value_is_not_part_of_it() {
        assert_eq!(field_value("query_data  "), "query_data");
        assert_eq!(field_value("\tquery data\t"), "query data");
    }
}
