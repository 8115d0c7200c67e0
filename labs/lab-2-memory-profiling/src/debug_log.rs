//! A debug log of recent activity, kept in the Worker so a surprising answer can be explained
//! after the fact (`recent()`).

use std::cell::RefCell;

thread_local! {
    /// Recent entries, oldest first.
    static RECENT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Adds an entry to the log.
pub fn note(entry: String) {
    RECENT.with(|recent| recent.borrow_mut().push(entry));
}

/// The last `n` entries, oldest first.
pub fn recent(n: usize) -> Vec<String> {
    RECENT.with(|recent| {
        let recent = recent.borrow();
        recent[recent.len().saturating_sub(n)..].to_vec()
    })
}
