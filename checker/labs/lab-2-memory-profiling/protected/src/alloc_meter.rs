//! Course-provided (tests only): a global allocator that counts the heap bytes the current
//! thread holds, and the most it held at once, so a unit test can measure natively what the
//! checker measures in the Worker.
//!
//! Counting is per thread (the test harness runs tests on parallel threads). A `realloc` is
//! counted the way an allocator that cannot grow a block in place has to do it: the new block
//! is live before the old one is freed. That is the worst case, and the usual one for a large
//! `Vec` or `String` that keeps growing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Meter;

#[global_allocator]
static METER: Meter = Meter;

thread_local! {
    // `const` and without a destructor: usable from inside the allocator.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grow(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + bytes as isize;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrink(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get() - bytes as isize));
}

unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            grow(new_size);
            shrink(layout.size());
        }
        new
    }
}

/// What a piece of code did to the heap of the current thread.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    /// The most bytes it held at once, above what was held when it started.
    pub peak: usize,
    /// Bytes still held when it ended, above what was held when it started.
    pub retained: isize,
}

/// Runs `f` and reports its heap usage. Whatever `f` returns is dropped before `retained` is
/// read, so only what `f` left behind elsewhere (globals, leaks) counts.
pub fn measure<R>(f: impl FnOnce() -> R) -> Usage {
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    drop(f());
    let peak = PEAK.with(Cell::get) - start;
    let retained = LIVE.with(Cell::get) - start;
    Usage {
        peak: peak.max(0) as usize,
        retained,
    }
}
