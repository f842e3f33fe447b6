//! `contrastive-lab app --stats FILE`: a line every [`EVERY`] seconds with what the status bar
//! shows and what the process holds (`seconds,step,steps_per_s,frames_per_s,rss_mb,history_rows`),
//! so that a long run's smoothness and memory can be measured without watching it.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Seconds between lines.
pub const EVERY: Duration = Duration::from_secs(10);

/// The header of the file.
pub const HEADER: &str = "seconds,step,steps_per_s,frames_per_s,rss_mb,history_rows";

pub struct StatsLog {
    path: PathBuf,
    started: Instant,
    last: Option<Instant>,
}

/// What one line says.
pub struct Sample {
    pub step: usize,
    pub steps_per_s: f64,
    pub frames_per_s: f64,
    pub history_rows: usize,
}

/// The resident memory of this process in MB (Linux: `/proc/self/statm`); NaN elsewhere.
pub fn rss_mb() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok());
    // The page size of every Linux this runs on (x86-64, aarch64 with 4 KiB pages).
    pages.map_or(f64::NAN, |p| p * 4096.0 / (1024.0 * 1024.0))
}

impl StatsLog {
    /// Start the file (header only); an unwritable path is an error the caller shows.
    pub fn create(path: PathBuf) -> std::io::Result<Self> {
        std::fs::write(&path, format!("{HEADER}\n"))?;
        Ok(Self {
            path,
            started: Instant::now(),
            last: None,
        })
    }

    /// Whether a line is due.
    pub fn due(&self) -> bool {
        self.last.is_none_or(|t| t.elapsed() >= EVERY)
    }

    /// Append a line.
    pub fn write(&mut self, s: &Sample) -> std::io::Result<()> {
        self.last = Some(Instant::now());
        let mut f = std::fs::OpenOptions::new().append(true).open(&self.path)?;
        writeln!(
            f,
            "{:.1},{},{:.1},{:.1},{:.1},{}",
            self.started.elapsed().as_secs_f64(),
            s.step,
            s.steps_per_s,
            s.frames_per_s,
            rss_mb(),
            s.history_rows
        )
    }
}
