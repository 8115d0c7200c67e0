//! Child process groups the checker must never leave behind.
//!
//! The runtime (node + workerd) runs in its own process group so one signal reaches both,
//! and so the terminal's Ctrl-C reaches the checker first. Every group is registered here;
//! the Ctrl-C handler and `Drop` both stop whatever is registered.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// True once Ctrl-C was pressed: the handler is stopping the runtime and will exit 130.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Called by a thread that noticed the runtime stop because of an interrupt: wait for the
/// handler to finish cleaning up and end the process, rather than report a failure.
pub fn wait_for_interrupt_exit() -> ! {
    loop {
        std::thread::park();
    }
}

/// Stop every registered group and exit when the user presses Ctrl-C (or the checker gets
/// SIGTERM/SIGHUP), so no workerd outlives an interrupted run.
pub fn install_interrupt_handler() {
    let result = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let groups: Vec<i32> = GROUPS.lock().map(|g| g.clone()).unwrap_or_default();
        for pgid in groups {
            stop_group(pgid, Duration::from_secs(2));
        }
        eprintln!("\ninterrupted: the runtime was stopped; nothing is left running.");
        std::process::exit(130);
    });
    if let Err(e) = result {
        eprintln!("warning: cannot install the Ctrl-C handler ({e}); an interrupted run may leave workerd running");
    }
}

pub fn register(pgid: i32) {
    if let Ok(mut groups) = GROUPS.lock() {
        groups.push(pgid);
    }
}

pub fn unregister(pgid: i32) {
    if let Ok(mut groups) = GROUPS.lock() {
        groups.retain(|g| *g != pgid);
    }
}

/// SIGTERM the whole group, give it `grace` to exit, then SIGKILL whatever remains.
pub fn stop_group(pgid: i32, grace: Duration) {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe {
        libc::kill(-pgid, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        reap(pgid);
        if !group_alive(pgid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    // A killed process takes a moment to go (a busy workerd with a large heap longer); wait
    // for that, but not for zombies whose parent is gone and that only init can reap.
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        reap(pgid);
        if !group_alive(pgid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Collect exited children of the group, so a zombie does not look alive.
fn reap(pgid: i32) {
    // SAFETY: waitpid with WNOHANG on our own children; a null status pointer is allowed.
    unsafe { while libc::waitpid(-pgid, std::ptr::null_mut(), libc::WNOHANG) > 0 {} }
}

/// Whether process `pid` exists.
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Whether any process of the group still exists (signal 0 probes without signalling).
pub fn group_alive(pgid: i32) -> bool {
    unsafe { libc::kill(-pgid, 0) == 0 }
}

/// How a command run by [`output_within`] ended.
pub struct Bounded {
    pub output: std::process::Output,
    /// It ran past its limit and was stopped, with everything it started.
    pub timed_out: bool,
}

/// Runs `cmd` in a process group of its own, registered (so Ctrl-C stops it too), with its
/// output captured; after `limit` the whole group is stopped. For tools that may never end
/// on a student's input: a build script in a loop, a suite waiting on a hung Worker.
pub fn output_within(cmd: &mut std::process::Command, limit: Duration) -> std::io::Result<Bounded> {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let pgid = child.id() as i32;
    register(pgid);
    let (finished, watchdog) = std::sync::mpsc::channel::<()>();
    let timer = std::thread::spawn(move || {
        let expired = watchdog.recv_timeout(limit).is_err();
        if expired {
            stop_group(pgid, Duration::from_secs(2));
        }
        expired
    });
    let output = child.wait_with_output();
    let _ = finished.send(());
    let timed_out = timer.join().unwrap_or(false);
    unregister(pgid);
    let output = match output {
        Ok(output) => output,
        // Stopping the group reaps what it can, the leader too, so waiting for it may then
        // find no child (ECHILD): that is the timeout, not an I/O fault.
        Err(_) if timed_out => {
            use std::os::unix::process::ExitStatusExt;
            std::process::Output {
                status: std::process::ExitStatus::from_raw(libc::SIGKILL),
                stdout: Vec::new(),
                stderr: Vec::new(),
            }
        }
        Err(e) => return Err(e),
    };
    Ok(Bounded { output, timed_out })
}
