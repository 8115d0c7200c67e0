//! Concurrent fan-out: run several independent jobs at once and collect every result.

use std::future::Future;

/// Runs every job concurrently and returns their outputs in the order of `jobs`.
///
/// The jobs are polled together on the current task (`futures::future::join_all`): while one
/// waits for I/O or a timer, the others run. A Worker has exactly one thread
/// (`std::thread::spawn` panics with "failed to spawn thread"), and its I/O is asynchronous,
/// so this is the concurrency it has. No `Send + 'static` bounds either: jobs may hold
/// JavaScript values, which are neither.
pub async fn fan_out<T, F>(jobs: Vec<F>) -> Vec<T>
where
    F: Future<Output = T>,
{
    futures::future::join_all(jobs).await
}
