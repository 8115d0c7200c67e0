//! HMAC-SHA256 with the RustCrypto crates: the same code and the same bytes natively and in
//! a Worker, with no C toolchain and no calls into JavaScript.

// ANCHOR: hmac
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The HMAC-SHA256 tag of `message` under `key`.
pub fn sign(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Whether `tag` is the tag of `message` under `key`, compared in constant time.
pub fn verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}
// ANCHOR_END: hmac

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    const KEY: &[u8] = b"Jefe";
    const MESSAGE: &[u8] = b"what do ya want for nothing?";
    const TAG: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    // ANCHOR: dual-test
    // Runs natively under `cargo test` and in Node under wasm-bindgen-test-runner.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn matches_the_rfc_4231_vector() {
        let tag = sign(KEY, MESSAGE);
        assert_eq!(hex(&tag), TAG);
        assert!(verify(KEY, MESSAGE, &tag));
        assert!(!verify(b"wrong key", MESSAGE, &tag));
    }
    // ANCHOR_END: dual-test
}
