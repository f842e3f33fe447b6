//! Custom GPU rendering: the WGSL point renderer for large embeddings, and CPU hover picking
//! that scales with it.

pub mod animation;
pub mod grid;
pub mod palette;
pub mod plot_item;
pub mod points;

pub use grid::SpatialGrid;
pub use points::{PointInstance, PointPipeline, PointsCallback, ViewUniform};
