//! 2-D layouts of the probe embeddings for the views: PCA (linfa-reduction) with its
//! orientation kept stable between snapshots.

pub mod pca;

pub use pca::{PcaLayout, pca_2d};
