//! Live heap bytes: bytes allocated and not yet freed, counted by the global allocator of the
//! checker's grading build. Pages of linear memory only show a leak once it outgrows the
//! free blocks the allocator already holds (a thousand requests leaking 64 bytes each never
//! do); this count shows it from the first request.
//!
//! It wraps `System` (dlmalloc on wasm32-unknown-unknown, the allocator a lab has without
//! it), so pages grow exactly as they would without the meter. Sizes are the layouts' sizes,
//! as `alloc_meter.rs` counts them natively, so the two numbers mean the same thing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use wasm_bindgen::prelude::wasm_bindgen;

struct Counting;

#[global_allocator]
static COUNTING: Counting = Counting;

/// One counter for the instance: a Worker's wasm runs on one thread, and an atomic is what a
/// `static` needs to be mutable safely either way.
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        // A failed realloc leaves the old block live and the count as it was.
        if !new.is_null() {
            LIVE.fetch_add(new_size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        new
    }
}

/// Heap bytes live in the instance now. A `u32`: wasm32 cannot hold more.
#[wasm_bindgen(js_name = "__course_heap_live")]
pub fn live_bytes() -> u32 {
    LIVE.load(Relaxed) as u32
}
