//! 2-D layouts of the probe embeddings for the views: PCA (linfa-reduction) with its
//! orientation kept stable between snapshots, and a live t-SNE warm-started from its previous
//! layout, both computed on the projector thread.

pub mod eig;
pub mod pca;
pub mod projector;
pub mod sphere;
pub mod tsne;

pub use pca::{PcaLayout, pca_2d};
pub use projector::{Layouts, Projector, ProjectorInbox, ProjectorSettings, TsneView};
pub use sphere::{SphereLayout, sphere_2d};
pub use tsne::{Tsne, TsneParams};
