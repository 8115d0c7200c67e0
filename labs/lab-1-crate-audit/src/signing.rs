//! HMAC-SHA256 signatures over payloads (webhooks, signed tokens), as lowercase hex.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The HMAC-SHA256 of `payload` under `key`, as 64 lowercase hex digits.
pub fn sign(key: &[u8], payload: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature_hex` is the HMAC-SHA256 of `payload` under `key`. The comparison takes
/// the same time wherever the first wrong byte is; malformed hex is simply not valid.
pub fn verify(key: &[u8], payload: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(payload);
    mac.verify_slice(&signature).is_ok()
}
