//! Request ids: a random (version 4) UUID per request, for logs and JSON-RPC correlation.

/// A fresh random id such as `"9b2c0f4e-3d1a-4c6e-8f7b-2a5d9e0c1b34"`.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}
