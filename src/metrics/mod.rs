//! Collapse diagnostics, computed on the host from the probe set's embeddings at every
//! snapshot. Plain Rust on row-major `[n, d]` slices, so every number can be
//! checked against an independent computation.

pub mod agreement;
pub mod diagnostics;
pub mod extra;
pub mod forces;
pub mod knn;
pub mod linalg;

pub use diagnostics::{Diagnostics, compute};
pub use extra::Extra;
