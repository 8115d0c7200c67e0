//! Protocol version negotiation for `initialize`.
//!
//! TODO(lab 4): the server always answers 2024-11-05. Negotiate instead: echo the client's
//! version when you support it, otherwise offer the newest you support.

/// Revisions that begin with `initialize`, newest first.
pub const SUPPORTED: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The version to answer `initialize` with.
pub fn negotiate(_requested: &str) -> &'static str {
    "2024-11-05"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_every_supported_version() {
        for version in SUPPORTED {
            assert_eq!(negotiate(version), *version);
        }
    }

    #[test]
    fn offers_the_newest_for_an_unknown_version() {
        assert_eq!(negotiate("2099-01-01"), SUPPORTED[0]);
    }
}
