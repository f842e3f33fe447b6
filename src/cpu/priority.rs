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
    for_each_thread_stat(|thread, fields| {
        // Niceness is field 19 of the line, the 17th after the name.
        if thread == name
            && let Some(nice) = fields.get(16).and_then(|n| n.parse().ok())
        {
            found.push(nice);
        }
    });
    found
}

/// Calls `f` with the name of each of this process's threads and the fields of its
/// `/proc/self/task/*/stat` line after the name (`fields[0]` is the state, field 3 of the line).
/// Linux only; elsewhere, and for a thread that ended meanwhile, nothing.
pub fn for_each_thread_stat(mut f: impl FnMut(&str, &[&str])) {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        if let Some((name, fields)) = stat_fields(&stat) {
            f(name, &fields);
        }
    }
}

/// A `stat` line's name (between the first `(` and the last `)`: a name may hold either) and
/// the fields after it.
pub fn stat_fields(stat: &str) -> Option<(&str, Vec<&str>)> {
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let name = stat.get(open + 1..close)?;
    Some((name, stat.get(close + 1..)?.split_whitespace().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_its_name_and_the_fields_after_it() {
        // A name with a space and a parenthesis, as `/proc` writes it.
        let line = "4242 (gemm) x) S 1 2 3";
        assert_eq!(
            stat_fields(line),
            Some(("gemm) x", vec!["S", "1", "2", "3"]))
        );
        assert_eq!(stat_fields("4242 (cut"), None);
    }
}
