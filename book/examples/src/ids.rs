//! Random request ids from getrandom: the OS natively, `crypto.getRandomValues` in a Worker.

// ANCHOR: request-id
/// A random 128-bit id as 32 lowercase hex digits. Call it while handling a request:
/// workerd refuses to produce random numbers at global scope (outside any request).
pub fn request_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(32);
    for byte in bytes {
        id.push(HEX[usize::from(byte >> 4)] as char);
        id.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    Ok(id)
}
// ANCHOR_END: request-id

#[cfg(test)]
mod tests {
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn ids_are_32_hex_digits_and_differ() {
        let a = super::request_id().unwrap();
        let b = super::request_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
