//! What a run's parts share, below all of them: the snapshot a trainer takes and a projector
//! lays out ([`snapshot`]), the rows of metrics its plots draw ([`history`]), every snapshot kept
//! for the timeline ([`recording`]), how the two are driven (their own threads, or the caller's
//! frame: [`drive`]) and the waker either calls after publishing. The trainer (`train/`), the
//! projector (`projection/`), the files that hold a run (`export`, `recorded`) import from
//! here; nothing here imports from them.

pub mod drive;
pub mod history;
pub mod recording;
pub mod snapshot;

pub use drive::{Drive, SharedWaker, Waker};
pub use history::{History, MetricsRow};
pub use recording::Recording;
pub use snapshot::{Event, Snapshot};
