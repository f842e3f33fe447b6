//! The embedding view. It opens on the geometry the loss sees: the ℓ2-normalised embedding
//! projected onto a stable plane, on the fixed scale of the unit circle, so that a collapse
//! *looks* like points converging (see [`crate::projection::sphere`]). PCA (orientation kept
//! between snapshots) and a live t-SNE zoom to fit and say so; with output dimension 2 / 3 the
//! raw embedding on the unit circle / sphere. Coloured by class, with a legend above the plot
//! (never over the points). Points glide between layouts at frame rate instead of jumping.
//!
//! `layout` fits what the points should show, `glide` moves them there, `view` draws one run
//! (`draw` the scene inside its plot) and two side by side, `controls` is the panel beside it.

mod controls;
mod draw;
mod glide;
mod layout;
mod view;

pub use controls::{controls, plays_slowly};
pub use draw::class_key;
pub use glide::{GLIDE_TIME, Glide, SlowMove};
pub use layout::on_sphere;
pub use view::{Link, RunView, Side, ViewOutput, side_by_side};

use crate::projection::ProjectorSettings;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Projection {
    /// ℓ2-normalised embedding on a stable plane through the sphere's centre, fixed scale.
    #[default]
    Unit,
    /// Principal components of the raw embedding, zoomed to fit.
    Pca,
    /// t-SNE on the projector thread, warm-started from its previous layout.
    Tsne,
    /// ℓ2-normalised raw coordinates (only when d = 2).
    Circle,
    /// ℓ2-normalised raw coordinates on the unit sphere, rotated by yaw/pitch and seen from the
    /// front (only when d = 3).
    Sphere,
}

/// What the central panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CentralTab {
    #[default]
    Embedding,
    LossView,
}

/// Which matrix "What the loss sees" shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Matrix {
    #[default]
    Cosine,
    Softmax,
    /// DINO: teacher and student distributions over the prototypes.
    Prototypes,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewState {
    pub projection: Projection,
    /// Lines joining the two augmented views of a few samples.
    pub show_pairs: bool,
    /// Sphere view rotation, radians.
    pub yaw: f32,
    pub pitch: f32,
    pub tab: CentralTab,
    pub matrix: Matrix,
    /// t-SNE perplexity (2–100) and learning rate (10–1000), as in the Embedding Projector.
    pub perplexity: f32,
    pub tsne_lr: f32,
    /// Who draws the points, their radius (points) and opacity.
    pub renderer: PointRenderer,
    pub point_radius: f32,
    pub point_opacity: f32,
    /// Zoom the fixed-scale views onto the points (off: the unit sphere's scale).
    pub zoom_to_fit: bool,
    /// Single steps (S, Step) play slowly: the points travel from before the step to after it.
    pub slow_motion: bool,
    /// Seconds one step takes in slow motion.
    pub slow_seconds: f32,
    /// Draw the loss's forces on a batch of probe samples (sphere view).
    pub forces: bool,
    /// In a comparison, colour each sample by its neighbour agreement instead of its class.
    pub colour_by_agreement: bool,
    /// Presenter mode: everything 1.6× larger for a projector, the advanced panels folded.
    pub present: bool,
    /// Classes by colour alone, or by colour-blind-safe colours and a marker shape each.
    pub class_scheme: crate::render::palette::ClassScheme,
    /// Black panels, white text and stronger lines.
    pub high_contrast: bool,
}

/// Who draws the embedding's points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PointRenderer {
    /// The WGSL renderer above [`GPU_THRESHOLD`] points (when the window renders with wgpu),
    /// egui_plot below.
    #[default]
    Auto,
    /// The WGSL renderer whenever it is available.
    Gpu,
    /// egui_plot always.
    Plot,
}

/// Above this many points (and with wgpu) the WGSL renderer draws them.
pub const GPU_THRESHOLD: usize = 3000;

impl ViewState {
    pub fn projector_settings(&self) -> ProjectorSettings {
        ProjectorSettings {
            tsne: self.projection == Projection::Tsne && self.tab == CentralTab::Embedding,
            perplexity: self.perplexity.clamp(2.0, 100.0),
            learning_rate: self.tsne_lr.clamp(10.0, 1000.0),
        }
    }
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            projection: Projection::default(),
            show_pairs: true,
            yaw: 0.6,
            pitch: 0.4,
            tab: CentralTab::default(),
            matrix: Matrix::default(),
            perplexity: ProjectorSettings::default().perplexity,
            tsne_lr: ProjectorSettings::default().learning_rate,
            renderer: PointRenderer::default(),
            point_radius: 2.5,
            point_opacity: 1.0,
            zoom_to_fit: false,
            slow_motion: false,
            slow_seconds: 3.0,
            forces: false,
            colour_by_agreement: false,
            present: false,
            class_scheme: crate::render::palette::ClassScheme::default(),
            high_contrast: false,
        }
    }
}

/// Whether a projection has the fixed scale of the unit sphere (the others zoom to fit).
pub fn fixed_scale(p: Projection) -> bool {
    matches!(
        p,
        Projection::Unit | Projection::Circle | Projection::Sphere
    )
}

#[cfg(test)]
mod tests;
