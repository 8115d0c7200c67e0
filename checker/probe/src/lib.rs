//! Course-owned probe, linked into the memory lab's Worker: the checker's entry module calls
//! it to read the size of linear memory from inside the instance (`memory.size`), and
//! compares that with what the JavaScript side sees. With the `heap-meter` feature (the
//! checker's grading build turns it on) it also counts the heap bytes the instance holds.
//! Students do not edit this crate.

use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(feature = "heap-meter")]
mod heap;

/// Pages (64 KiB each) of linear memory 0, as the instance itself sees them.
#[wasm_bindgen(js_name = "__course_memory_pages")]
pub fn memory_pages() -> u32 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u32
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// Call once (e.g. at the top of `fetch`) so the linker keeps the probe in the module.
#[inline(never)]
pub fn install() {
    std::hint::black_box(memory_pages as fn() -> u32);
    #[cfg(feature = "heap-meter")]
    std::hint::black_box(heap::live_bytes as fn() -> u32);
}
