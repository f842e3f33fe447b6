//! `contrastive-lab app --stats FILE`: a line every [`EVERY`] seconds with what the status bar
//! shows and what the process holds (`seconds,step,steps_per_s,frames_per_s,rss_mb,history_rows`),
//! so that a long run's smoothness and memory can be measured without watching it; then where
//! the CPU went since the previous line, in cores (`train_cores`: the trainer and its helper;
//! `projector_cores`; `window_cores`: every other thread of the process, the UI and Mesa's
//! rasterisers; `other_cores`: every other process on the machine, so that a slower minute can
//! be told apart from a busier machine), the t-SNE projector's ms per iteration, and the MB
//! the shown runs' recordings hold (`recorded_mb`, every slot's, within their `history_mb`),
//! and what the allocator has handed out (`heap_mb`: beside `rss_mb`, a leak grows both,
//! fragmentation only the RSS).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use web_time::Instant;

/// Seconds between lines.
pub const EVERY: Duration = Duration::from_secs(10);

/// The header of the file.
pub const HEADER: &str = "seconds,step,steps_per_s,frames_per_s,rss_mb,history_rows,\
                          train_cores,projector_cores,window_cores,other_cores,tsne_ms_per_iter,recorded_mb,heap_mb";

pub struct StatsLog {
    path: PathBuf,
    started: Instant,
    last: Option<Instant>,
    /// The CPU times at the previous line.
    cpu: Option<CpuTimes>,
}

/// What one line says.
pub struct Sample {
    pub step: usize,
    pub steps_per_s: f64,
    pub frames_per_s: f64,
    pub history_rows: usize,
    /// The t-SNE layout's ms per iteration (NaN while t-SNE is off).
    pub tsne_ms_per_iter: f64,
    /// The bytes every shown run's recording holds.
    pub recorded_bytes: usize,
}

/// CPU seconds spent so far: by this process's threads, grouped, and by the whole machine.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTimes {
    /// The trainer threads (`trainer`, [`crate::cpu::helper::THREAD_NAME`]).
    pub train: f64,
    pub projector: f64,
    /// Every other thread of this process.
    pub window: f64,
    /// Every process on the machine (`/proc/stat`'s busy time).
    pub machine: f64,
}

impl CpuTimes {
    /// Now (Linux: `/proc/self/task/*/stat` and `/proc/stat`); `None` where they cannot be read.
    pub fn now() -> Option<Self> {
        #[cfg(target_os = "linux")]
        // SAFETY: `sysconf` reads no memory of ours.
        let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        // No `/proc` to read elsewhere.
        #[cfg(not(target_os = "linux"))]
        let tick = 0.0;
        if tick <= 0.0 {
            return None;
        }
        let mut t = Self {
            machine: machine_busy_ticks()? / tick,
            ..Self::default()
        };
        crate::cpu::priority::for_each_thread_stat(|name, fields| {
            let Some(ticks) = cpu_ticks(fields) else {
                return;
            };
            let seconds = ticks / tick;
            match name {
                crate::train::trainer::THREAD_NAME | crate::cpu::helper::THREAD_NAME => {
                    t.train += seconds
                }
                crate::projection::projector::THREAD_NAME => t.projector += seconds,
                _ => t.window += seconds,
            }
        });
        Some(t)
    }

    /// Cores used between `earlier` and `self`, `seconds` apart: train, projector, window, and
    /// the rest of the machine.
    pub fn cores_since(&self, earlier: &Self, seconds: f64) -> [f64; 4] {
        let per = |a: f64, b: f64| (a - b).max(0.0) / seconds.max(1e-9);
        let ours = per(
            self.train + self.projector + self.window,
            earlier.train + earlier.projector + earlier.window,
        );
        [
            per(self.train, earlier.train),
            per(self.projector, earlier.projector),
            per(self.window, earlier.window),
            (per(self.machine, earlier.machine) - ours).max(0.0),
        ]
    }
}

/// A thread's user + system time in clock ticks, from the fields of its `stat` line after the
/// name ([`crate::cpu::priority::for_each_thread_stat`]: the state, field 3, comes first;
/// utime is field 14, stime field 15).
fn cpu_ticks(fields: &[&str]) -> Option<f64> {
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Busy clock ticks of the whole machine (all of `/proc/stat`'s `cpu` line but idle and iowait).
fn machine_busy_ticks() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<f64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    (v.len() >= 8).then(|| v[..8].iter().sum::<f64>() - v[3] - v[4])
}

/// The resident memory of this process in MB (the `memory-stats` crate: Linux, macOS and
/// Windows); NaN where it cannot be read.
pub fn rss_mb() -> f64 {
    #[cfg(not(target_arch = "wasm32"))]
    return memory_stats::memory_stats()
        .map_or(f64::NAN, |m| m.physical_mem as f64 / (1024.0 * 1024.0));
    // A page is told nothing of its memory.
    #[cfg(target_arch = "wasm32")]
    f64::NAN
}

impl StatsLog {
    /// Start the file (header only); an unwritable path is an error the caller shows.
    pub fn create(path: PathBuf) -> std::io::Result<Self> {
        std::fs::write(&path, format!("{HEADER}\n"))?;
        Ok(Self {
            path,
            started: Instant::now(),
            last: None,
            cpu: CpuTimes::now(),
        })
    }

    /// Whether a line is due.
    pub fn due(&self) -> bool {
        self.last.is_none_or(|t| t.elapsed() >= EVERY)
    }

    /// Append a line.
    pub fn write(&mut self, s: &Sample) -> std::io::Result<()> {
        let seconds = self.last.unwrap_or(self.started).elapsed().as_secs_f64();
        self.last = Some(Instant::now());
        let now = CpuTimes::now();
        let cores = match (&now, &self.cpu) {
            (Some(now), Some(before)) => now.cores_since(before, seconds),
            _ => [f64::NAN; 4],
        };
        self.cpu = now;
        let mut f = std::fs::OpenOptions::new().append(true).open(&self.path)?;
        writeln!(
            f,
            "{:.1},{},{:.1},{:.1},{:.1},{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.1},{:.1}",
            self.started.elapsed().as_secs_f64(),
            s.step,
            s.steps_per_s,
            s.frames_per_s,
            rss_mb(),
            s.history_rows,
            cores[0],
            cores[1],
            cores[2],
            cores[3],
            s.tsne_ms_per_iter,
            s.recorded_bytes as f64 / (1024.0 * 1024.0),
            crate::train::allocator::heap_in_use_mb(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_stat_line_gives_its_cpu_ticks() {
        let line = "4242 (gemm) x) S 1 2 3 4 5 6 7 8 9 10 1200 34 0 0 30 10 1 0";
        let (_, fields) = crate::cpu::priority::stat_fields(line).unwrap_or_default();
        assert_eq!(cpu_ticks(&fields), Some(1234.0));
        assert_eq!(cpu_ticks(&fields[..12]), None, "cut short");
    }

    #[test]
    fn cores_are_cpu_seconds_per_second_and_other_processes_are_the_rest_of_the_machine() {
        let before = CpuTimes::default();
        let after = CpuTimes {
            train: 5.0,
            projector: 2.0,
            window: 3.0,
            machine: 16.0,
        };
        let cores = after.cores_since(&before, 10.0);
        for (got, want) in cores.iter().zip([0.5, 0.2, 0.3, 0.6]) {
            assert!((got - want).abs() < 1e-12, "{cores:?}");
        }
    }

    #[test]
    fn this_process_and_the_machine_have_spent_cpu_time() {
        let Some(t) = CpuTimes::now() else {
            return; // not Linux
        };
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {
            std::hint::black_box(0u64);
        }
        let later = CpuTimes::now().unwrap_or(t);
        assert!(later.window + later.train + later.projector > 0.0);
        assert!(later.machine >= t.machine);
    }

    #[test]
    fn resident_memory_grows_by_what_is_touched() {
        let before = rss_mb();
        assert!(before.is_finite() && before > 1.0, "{before}");
        // 256 MB written page by page, so that every page is resident.
        let block = std::hint::black_box(vec![1u8; 256 << 20]);
        let after = rss_mb();
        assert!(after - before > 200.0, "{before} MB, then {after} MB");
        drop(block);
    }
}
