//! 2-D layouts of the probe embeddings for the views: PCA (linfa-reduction) with its
//! orientation kept stable between snapshots, and a live t-SNE warm-started from its previous
//! layout, both computed on the projector thread.

pub mod pca;
pub mod projector;
pub mod tsne;

pub use pca::{PcaLayout, pca_2d};
pub use projector::{Layouts, Projector, ProjectorSettings, TsneView};
pub use tsne::{Tsne, TsneParams};
