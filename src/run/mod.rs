//! What a run's parts share, below all of them: the snapshot a trainer takes and a projector
//! lays out ([`snapshot`]), how the two are driven (their own threads, or the caller's frame:
//! [`drive`]), the waker either calls after publishing, and the compute threads' priority
//! ([`priority`]). The trainer (`train/`), the projector (`projection/`) and the CPU kernels
//! (`cpu/`) import from here; nothing here imports from them.

pub mod drive;
pub mod priority;
pub mod snapshot;

pub use drive::{Drive, SharedWaker, Waker};
pub use snapshot::{Event, Snapshot};
