//! The compute threads (a run's trainer, the helper it runs a second view on, its projector)
//! give way to the window's. On a 2-core machine the window (the UI thread and, with software
//! rendering, Mesa's rasteriser threads) shares the cores with two busy compute threads; at the
//! same priority the scheduler splits the cores evenly between all of them, so a frame waits
//! behind training. A lower priority for the compute threads lets a frame run first, while
//! training still takes every cycle the window leaves (the window asks for at most one frame
//! per slot, see `app::pacing`).

/// The niceness the compute threads run at (0 is the default, 19 the lowest priority). At 10
/// the scheduler weighs a window thread ≈ 9× a compute thread while both want a core.
pub const COMPUTE_NICENESS: i32 = 10;

/// Lower the calling thread's scheduling priority to [`COMPUTE_NICENESS`] (threads it spawns
/// inherit it). Linux sets niceness per thread; elsewhere, and where the system refuses, the
/// thread keeps its priority (training is only less polite, never wrong).
pub fn lower_this_thread() {
    set_this_thread(COMPUTE_NICENESS);
}

fn set_this_thread(niceness: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: `setpriority` reads no memory of ours; with `who = 0` it changes the calling
    // thread only (Linux keeps niceness per thread).
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, niceness);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = niceness;
}

/// The calling thread's niceness, where the system reports one.
pub fn this_thread_niceness() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above; `getpriority` may return -1 legitimately, told apart by errno.
        unsafe {
            *libc::__errno_location() = 0;
            let n = libc::getpriority(libc::PRIO_PROCESS, 0);
            (*libc::__errno_location() == 0).then_some(n)
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The niceness of each of this process's threads called `name` (Linux: read from
/// `/proc/self/task/*/stat`; elsewhere none).
pub fn niceness_of_threads(name: &str) -> Vec<i32> {
    let mut found = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return found;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if &stat[open + 1..close] != name {
            continue;
        }
        // After ") ": state is field 3, so niceness (field 19) is the 17th from here.
        if let Some(nice) = stat[close + 2..]
            .split_whitespace()
            .nth(16)
            .and_then(|n| n.parse().ok())
        {
            found.push(nice);
        }
    }
    found
}
