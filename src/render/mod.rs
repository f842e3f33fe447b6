//! Custom GPU rendering: the WGSL point renderer for large embeddings, and CPU hover picking
//! that scales with it.

pub mod animation;
pub mod grid;
pub mod palette;
#[cfg(not(target_arch = "wasm32"))]
pub mod plot_item;
#[cfg(not(target_arch = "wasm32"))]
pub mod points;

pub use grid::SpatialGrid;
#[cfg(not(target_arch = "wasm32"))]
pub use points::{PointInstance, PointPipeline, PointsCallback, ViewUniform};
