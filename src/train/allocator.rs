//! The C allocator's settings for training on the CPU.
//!
//! A CPU training step allocates and frees the same few hundred KiB–MiB activation and
//! gradient buffers every step. With glibc's defaults such blocks are mapped fresh from the
//! kernel and handed back on free (or the heap top is trimmed), so every step pays page faults
//! and zeroing for memory it just returned: about 20 % of a SimCLR step at the benchmark's
//! sizes (`bench`, 12.9 → 9.7 ms/step). Keeping freed blocks in the heap removes that.

/// Keep blocks up to 32 MiB in the heap and trim only above 256 MiB of free heap top; and
/// use at most [`ARENAS`] heaps. Call once at start-up, before other threads exist. A no-op
/// off glibc.
///
/// glibc gives threads heaps of their own, up to eight per core. Every run the app starts
/// brings new threads (trainer, helper, projector), and what they leave behind fragments more
/// heaps: with ten-second lessons the memory beside the recordings crept from 86 to 209–251 MB
/// in four minutes, with two heaps it stayed at 76–120 MB, training as fast (1 500 SimCLR
/// steps: 2.24–2.38 s either way).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's <malloc.h> parameter numbers.
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_ARENA_MAX: i32 = -8;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only changes three parameters of the allocator; glibc accepts these
        // values (32 MiB is its mmap-threshold maximum on 64-bit) and reports a rejected one
        // by returning 0, which leaves the defaults: only slower, never unsound.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, 256 << 20);
            mallopt(M_ARENA_MAX, ARENAS);
        }
    }
}

/// The most heaps the allocator keeps (threads share them).
pub const ARENAS: i32 = 2;

/// Hand the heap's free pages back to the system (glibc's `malloc_trim`): what a run that
/// ended held (its recording, checkpoints, network) otherwise stays resident, since the heap
/// is kept above. Call after a run ends, not per step. A no-op off glibc.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` only returns free pages of the allocator's own heaps.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

/// What the C allocator has handed out and not had back, in MB (glibc's `mallinfo2`: the
/// chunks in use in every heap and the blocks mapped on their own); NaN off glibc. Beside the
/// resident memory it tells a leak (this grows) from fragmentation (only the RSS grows).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn heap_in_use_mb() -> f64 {
    // SAFETY: `mallinfo2` only reads the allocator's counters (under its locks).
    let m = unsafe { libc::mallinfo2() };
    (m.uordblks + m.hblkhd) as f64 / (1024.0 * 1024.0)
}

/// What the C allocator has handed out (known on glibc only).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn heap_in_use_mb() -> f64 {
    f64::NAN
}

/// When a run has ended (a restart, a slot dropped), its memory is freed by other threads
/// over the next moments: the free pages are handed back a little later, once, off the
/// caller's thread.
#[derive(Debug, Default)]
pub struct Release {
    due: Option<web_time::Instant>,
}

impl Release {
    /// How long after a run ended its memory is handed back.
    pub const AFTER: std::time::Duration = std::time::Duration::from_secs(3);

    /// A run ended now.
    pub fn run_ended(&mut self) {
        self.due = Some(web_time::Instant::now() + Self::AFTER);
    }

    /// Hand the free pages back if it is time (called often, e.g. each frame).
    pub fn tick(&mut self) {
        if self.due.is_some_and(|t| web_time::Instant::now() >= t) {
            self.due = None;
            let _ = std::thread::Builder::new()
                .name("release-memory".into())
                .spawn(release_freed_memory);
        }
    }
}
