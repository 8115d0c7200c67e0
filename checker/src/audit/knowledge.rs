//! What the course knows about crates and std APIs on `wasm32-unknown-unknown` in Workers:
//! why each breaks and what fixes it. Small on purpose; every entry is taught in the book.

/// A crate that fails to build (or cannot work) for wasm32 in Workers.
pub struct CrateFact {
    pub name: &'static str,
    /// What goes wrong.
    pub why: &'static str,
    /// What fixes it.
    pub fix: &'static str,
}

pub const CRATES: &[CrateFact] = &[
    CrateFact {
        name: "mio",
        why: "mio is tokio's OS event loop (epoll/kqueue); there are no sockets or threads to poll in a Worker",
        fix: "drop tokio's `full`/`net`/`rt-multi-thread` features; keep `sync`, `macros`, `io-util`, `rt` if you need them, and let the Workers event loop drive futures (wasm-bindgen-futures)",
    },
    CrateFact {
        name: "socket2",
        why: "raw OS sockets do not exist in Workers",
        fix: "use worker::Fetch / worker::Socket (connect()) instead of OS networking",
    },
    CrateFact {
        name: "getrandom",
        why: "getrandom has no default entropy source for wasm32-unknown-unknown",
        fix: "0.2: feature `js`; 0.3.4+ and 0.4: feature `wasm_js` (0.3.0–0.3.3 also need `--cfg getrandom_backend=\"wasm_js\"`); enable it in a `[target.'cfg(target_arch = \"wasm32\")'.dependencies]` entry for the version your tree uses",
    },
    CrateFact {
        name: "uuid",
        why: "uuid's `v4` needs a source of random bytes, and on wasm32-unknown-unknown uuid makes you choose one (recent versions refuse to compile otherwise)",
        fix: "enable one of uuid's `js`, `rng-getrandom` or `rng-rand` features for wasm32",
    },
    CrateFact {
        name: "ring",
        why: "ring compiles C and assembly: it needs a wasm-capable clang and its `wasm32_unknown_unknown_js` feature",
        fix: "prefer pure-Rust RustCrypto crates (hmac, sha2), or enable ring's wasm32_unknown_unknown_js with a wasm-capable clang",
    },
    CrateFact {
        name: "openssl-sys",
        why: "OpenSSL is a native C library",
        fix: "use RustCrypto crates or Web Crypto (web_sys/js_sys)",
    },
    CrateFact {
        name: "native-tls",
        why: "TLS is done by the Workers runtime, not by the Worker",
        fix: "use worker::Fetch for HTTPS",
    },
    CrateFact {
        name: "signal-hook-registry",
        why: "there are no Unix signals in a Worker",
        fix: "drop tokio's `signal` feature",
    },
];

pub fn crate_fact(name: &str) -> Option<&'static CrateFact> {
    CRATES.iter().find(|c| c.name == name)
}

/// A std (or web) API that compiles for wasm32 and fails at run time in a Worker.
pub struct Trap {
    /// Text that marks a use of the API in source code.
    pub pattern: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
}

pub const TRAPS: &[Trap] = &[
    Trap {
        pattern: "Instant::now",
        why: "std::time::Instant::now() panics on wasm32-unknown-unknown (no clock in std there)",
        fix: "js_sys::Date::now() (milliseconds) or worker::Date::now(); web-time offers a drop-in Instant",
    },
    Trap {
        pattern: "SystemTime::now",
        why: "std::time::SystemTime::now() panics on wasm32-unknown-unknown",
        fix: "js_sys::Date::now() or worker::Date::now()",
    },
    Trap {
        pattern: "thread::spawn",
        why: "std::thread::spawn panics: a Worker has one thread",
        fix: "run futures concurrently with futures::join!/join_all on the event loop",
    },
    Trap {
        pattern: "thread::sleep",
        why: "std::thread::sleep panics (and would block the event loop)",
        fix: "await worker::Delay::from(duration) (or a setTimeout promise)",
    },
    Trap {
        pattern: "std::fs::",
        why: "std::fs returns Unsupported: a Worker has no file system",
        fix: "bundle the data (include_str!) or read it from KV/R2/bindings",
    },
    Trap {
        pattern: "std::env::var",
        why: "std::env is empty in a Worker",
        fix: "read vars and secrets from the Env bindings: env.var(\"NAME\"), env.secret(\"NAME\")",
    },
    Trap {
        pattern: "web_sys::window",
        why: "Workers have no window: web_sys::window() returns None",
        fix: "use js_sys::global() or the worker crate's APIs (worker::Delay for timers)",
    },
];
