//! The embedding view. It opens on the geometry the loss sees: the ℓ2-normalised embedding
//! projected onto a stable plane, on the fixed scale of the unit circle, so that a collapse
//! *looks* like points converging (see [`crate::projection::sphere`]). PCA (orientation kept
//! between snapshots) and a live t-SNE zoom to fit and say so; with output dimension 2 / 3 the
//! raw embedding on the unit circle / sphere. Coloured by class, with a legend above the plot
//! (never over the points). Points glide between layouts at frame rate instead of jumping.

use super::{AppCommand, RunFrame};
use crate::config::RunConfig;
use crate::projection::ProjectorSettings;
pub use crate::render::palette::class_colour;
use crate::render::palette::sequential;
use crate::render::plot_item::GpuPoints;
use crate::render::{PointInstance, SpatialGrid};
use egui::{Color32, Ui};
use egui_plot::{Line, Plot, PlotPoints, Points};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

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
    pub matrix: super::loss_view::Matrix,
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
            matrix: super::loss_view::Matrix::default(),
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
        }
    }
}

fn on_circle(p: &[f32]) -> [f32; 2] {
    let n = (p[0] * p[0] + p[1] * p[1]).sqrt().max(1e-12);
    [p[0] / n, p[1] / n]
}

/// A 3-d embedding on the unit sphere, rotated by `yaw` (about the vertical axis), then `pitch`
/// (about the horizontal one), seen orthographically from +z: `([x, y], depth)`, depth > 0 on
/// the visible hemisphere.
pub fn on_sphere(p: &[f32], yaw: f32, pitch: f32) -> ([f32; 2], f32) {
    let n = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt().max(1e-12);
    let (x, y, z) = (p[0] / n, p[1] / n, p[2] / n);
    let (sy, cy) = yaw.sin_cos();
    let (sp, cp) = pitch.sin_cos();
    let (x1, z1) = (x * cy + z * sy, -x * sy + z * cy);
    let (y2, z2) = (y * cp - z1 * sp, y * sp + z1 * cp);
    ([x1, y2], z2)
}

/// Where an embedding lands in the current projection.
fn project(v: &ViewState, run: &RunFrame, x: &[f32]) -> Option<[f32; 2]> {
    match (v.projection, run.pca()) {
        (Projection::Unit, _) => run.sphere().map(|s| s.project(x)),
        (Projection::Circle, _) if x.len() == 2 => Some(on_circle(x)),
        (Projection::Sphere, _) if x.len() == 3 => Some(on_sphere(x, v.yaw, v.pitch).0),
        // t-SNE has no map for points it was not fitted on.
        (Projection::Tsne, _) => None,
        (_, Some(pca)) => Some(pca.project(x)),
        _ => None,
    }
}

/// Where the points should be now: `(x, y)` and class per probe point, and a caption.
struct Target {
    points: Vec<[f32; 2]>,
    /// The training step of the snapshot the points show.
    step: usize,
    labels: Vec<usize>,
    caption: String,
    /// Shown when the pointer is on the caption.
    detail: String,
}

/// The current projection's target layout, or why there is none.
fn layout(view: &ViewState, run: &RunFrame) -> Result<Target, String> {
    let snap = run
        .published
        .snapshot
        .as_ref()
        .ok_or("waiting for the first snapshot…")?;
    let raw = |points: Vec<[f32; 2]>, caption: &str| Target {
        points,
        step: snap.step,
        labels: snap.labels.clone(),
        caption: caption.into(),
        detail: String::new(),
    };
    if view.projection == Projection::Circle && snap.dim == 2 {
        let pts = snap.z.chunks_exact(2).map(on_circle).collect();
        return Ok(raw(pts, "raw embedding on the unit circle"));
    }
    if view.projection == Projection::Sphere && snap.dim == 3 {
        let pts = snap
            .z
            .chunks_exact(3)
            .map(|p| on_sphere(p, view.yaw, view.pitch).0)
            .collect();
        return Ok(raw(
            pts,
            "raw embedding on the unit sphere (the far side is dimmed)",
        ));
    }
    let layouts = run.layouts.ok_or("projecting…")?;
    if view.projection == Projection::Unit {
        let sphere = match &layouts.sphere {
            None => return Err("projecting…".into()),
            Some(Err(e)) => return Err(format!("sphere view undefined: {e}")),
            Some(Ok(s)) => s,
        };
        return Ok(Target {
            points: sphere.points.clone(),
            step: layouts.step,
            labels: layouts.labels.clone(),
            caption: format!(
                "the {}-d embedding on the unit sphere, as the loss sees it (step {}): spread {:.2} in this plane, {:.2} on the sphere",
                snap.dim,
                layouts.step,
                sphere.spread(),
                sphere.spread_on_sphere
            ),
            detail: format!(
                "Each point is ẑ = z/‖z‖ projected onto a plane through the sphere's centre; the circle is the sphere's outline. \
                 Fixed scale: nothing is re-centred or re-zoomed, so a collapse shows as the points converging to one spot. \
                 The plane holds the two directions in which the points reach furthest (eigenvectors of E[ẑẑᵀ], \
                 capturing {:.0}% + {:.0}% of E‖ẑ‖² = 1; points uniform on the sphere would give {:.0}% each), \
                 turned to follow the previous frame.\n\
                 spread = mean distance of the points from their centroid = {:.3} in this plane, {:.3} in all {} dimensions \
                 (0 = one spot; a projection can only bring points closer, so the plane never shows more than the sphere holds).",
                100.0 * sphere.captured[0],
                100.0 * sphere.captured[1],
                100.0 / snap.dim.max(1) as f64,
                sphere.spread(),
                sphere.spread_on_sphere,
                snap.dim
            ),
        });
    }
    if view.projection == Projection::Tsne {
        let t = match &layouts.tsne {
            None => return Err("t-SNE: computing the first layout…".into()),
            Some(Err(e)) => return Err(format!("t-SNE undefined: {e}")),
            Some(Ok(t)) => t,
        };
        let phase = if t.exaggerating {
            " (early exaggeration)"
        } else {
            ""
        };
        let note = t
            .note
            .as_ref()
            .map(|n| format!("\n{n}"))
            .unwrap_or_default();
        return Ok(Target {
            points: t.points.clone(),
            step: t.step,
            labels: layouts.labels.clone(),
            caption: format!(
                "t-SNE rescales: the sphere view shows collapse. Step {}: iteration {}{phase}, KL {:.3}{note}",
                t.step, t.iterations, t.kl
            ),
            detail: format!(
                "perplexity {:.0}; {:.1} ms per iteration on the projector thread; warm-started from the previous layout at each new snapshot",
                t.perplexity, t.ms_per_iter
            ),
        });
    }
    let pca = match &layouts.pca {
        Some(Ok(p)) => p,
        Some(Err(_)) | None => {
            return Err("PCA undefined: the embedding has collapsed to a point".into());
        }
    };
    Ok(Target {
        points: pca.points.clone(),
        step: layouts.step,
        labels: layouts.labels.clone(),
        caption: format!(
            "PCA zooms to fit (the sphere view shows collapse). {}-d embedding at step {}: axes explain {:.0}% + {:.0}% of the variance",
            snap.dim,
            layouts.step,
            100.0 * pca.explained[0],
            100.0 * pca.explained[1],
        ),
        detail: format!("fitted on the projector thread in {:.1} ms", layouts.pca_ms),
    })
}

/// The positions on screen, easing towards each new layout so that points glide; or, in slow
/// motion, travelling in a straight line from before an optimizer step to after it.
#[derive(Default)]
pub struct Glide {
    shown: Vec<[f32; 2]>,
    last: Option<Instant>,
    /// Slow motion asked for: the first layout of a step after this one plays slowly.
    armed: Option<(usize, f32)>,
    slow: Option<SlowMove>,
}

/// One optimizer step played slowly.
#[derive(Clone, Debug)]
pub struct SlowMove {
    pub from: Vec<[f32; 2]>,
    pub to: Vec<[f32; 2]>,
    /// The steps of the layouts before and after.
    pub steps: (usize, usize),
    pub elapsed: f32,
    pub duration: f32,
}

impl SlowMove {
    /// How far along the move is, 0 to 1.
    pub fn progress(&self) -> f32 {
        (self.elapsed / self.duration.max(1e-3)).clamp(0.0, 1.0)
    }
}

/// Seconds for the remaining distance to fall by a factor e.
pub const GLIDE_TIME: f32 = 0.15;

impl Glide {
    /// Play the first layout of a step after `step` slowly, over `seconds`.
    pub fn arm_slow_motion(&mut self, step: usize, seconds: f32) {
        self.armed = Some((step, seconds));
    }

    /// The slow move in progress, if any.
    pub fn slow_move(&self) -> Option<&SlowMove> {
        self.slow.as_ref()
    }

    /// Move the shown points `dt` seconds towards `target`, the layout of snapshot `step` (at
    /// once when the point count changed); returns whether they are still moving.
    pub fn advance(&mut self, target: &[[f32; 2]], step: usize, dt: f32) -> bool {
        if self.shown.len() != target.len() {
            self.shown = target.to_vec();
            self.slow = None;
            return false;
        }
        if let Some((armed_at, seconds)) = self.armed
            && step > armed_at
        {
            self.armed = None;
            self.slow = Some(SlowMove {
                from: self.shown.clone(),
                to: target.to_vec(),
                steps: (armed_at, step),
                elapsed: 0.0,
                duration: seconds,
            });
        }
        if let Some(m) = &mut self.slow {
            if m.to.as_slice() == target {
                m.elapsed += dt.max(0.0);
                let f = m.progress();
                // Smoothstep: starts and ends at rest, so the eye can follow each point.
                let e = f * f * (3.0 - 2.0 * f);
                for ((s, a), b) in self.shown.iter_mut().zip(&m.from).zip(&m.to) {
                    *s = [a[0] + (b[0] - a[0]) * e, a[1] + (b[1] - a[1]) * e];
                }
                if f >= 1.0 {
                    self.slow = None;
                    return false;
                }
                return true;
            }
            // Another layout arrived meanwhile: glide on from where the points are.
            self.slow = None;
        }
        let keep = (-dt.max(0.0) / GLIDE_TIME).exp();
        let mut moving = false;
        let scale = target
            .iter()
            .fold(0f32, |m, p| m.max(p[0].abs()).max(p[1].abs()))
            .max(1e-12);
        for (s, t) in self.shown.iter_mut().zip(target) {
            for c in 0..2 {
                s[c] = t[c] + (s[c] - t[c]) * keep;
                if (s[c] - t[c]).abs() > 1e-3 * scale {
                    moving = true;
                } else {
                    s[c] = t[c];
                }
            }
        }
        moving
    }

    /// Advance by the wall-clock time since the last frame.
    fn frame(&mut self, target: &[[f32; 2]], step: usize) -> bool {
        let now = Instant::now();
        let dt = self
            .last
            .map(|t| now.duration_since(t).as_secs_f32())
            .unwrap_or(0.0)
            .min(0.1);
        self.last = Some(now);
        self.advance(target, step, dt)
    }

    pub fn shown(&self) -> &[[f32; 2]] {
        &self.shown
    }
}

/// Point size and opacity, and who draws them: a menu, so they take no row of their own.
fn point_controls(ui: &mut Ui, v: &mut ViewState, gpu: bool) {
    ui.menu_button("points", |ui| {
        ui.add(egui::Slider::new(&mut v.point_radius, 0.5..=8.0).text("point size"));
        ui.add(egui::Slider::new(&mut v.point_opacity, 0.05..=1.0).text("opacity"));
        ui.label("drawn by");
        ui.radio_value(&mut v.renderer, PointRenderer::Auto, "auto")
            .on_hover_text(format!(
                "the WGSL renderer above {GPU_THRESHOLD} points, egui_plot below"
            ));
        ui.add_enabled_ui(gpu, |ui| {
            ui.radio_value(&mut v.renderer, PointRenderer::Gpu, "GPU (WGSL)")
                .on_disabled_hover_text(
                    "the window renders with OpenGL here (no real GPU): start with `contrastive-lab app --renderer wgpu` to use it",
                );
        });
        ui.radio_value(&mut v.renderer, PointRenderer::Plot, "egui_plot");
    })
    .response
    .on_hover_text("point size, opacity, and who draws the points");
}

/// Whether the WGSL renderer draws `n` points now.
fn use_gpu(view: &ViewState, gpu: bool, n: usize) -> bool {
    gpu && match view.renderer {
        PointRenderer::Auto => n > GPU_THRESHOLD,
        PointRenderer::Gpu => true,
        PointRenderer::Plot => false,
    }
}

/// Slow motion: one optimizer step as an animation, at a speed the user sets.
fn slow_motion_controls(ui: &mut Ui, view: &mut ViewState, out: &mut Vec<AppCommand>) {
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut view.slow_motion, "slow motion")
            .on_hover_text(
                "Step (or S) pauses and plays one optimizer step slowly: every point travels in a straight line from where it was before the step to where it is after it",
            );
        ui.add_enabled(
            view.slow_motion,
            egui::Slider::new(&mut view.slow_seconds, 0.5..=10.0)
                .logarithmic(true)
                .suffix(" s")
                .text("per step"),
        );
        if view.slow_motion
            && ui
                .button("Step slowly")
                .on_hover_text("S: one training step, in slow motion")
                .clicked()
        {
            out.push(AppCommand::StepOnce);
        }
    });
}

/// Whether single steps play slowly in the current view (t-SNE keeps moving on its own, so
/// it has no "before" and "after" of a step).
pub fn plays_slowly(view: &ViewState) -> bool {
    view.slow_motion && view.projection != Projection::Tsne
}

/// The t-SNE sliders, the re-seed button.
fn tsne_controls(ui: &mut Ui, view: &mut ViewState, out: &mut Vec<AppCommand>) {
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::Slider::new(&mut view.perplexity, 2.0..=100.0)
                .integer()
                .text("perplexity"),
        )
        .on_hover_text(
            "about how many neighbours each point keeps close: small values show local structure, large values the global one",
        );
        ui.add(
            egui::Slider::new(&mut view.tsne_lr, 10.0..=1000.0)
                .logarithmic(true)
                .text("learning rate"),
        )
        .on_hover_text("t-SNE's own step size (not the encoder's)");
        if ui
            .button("re-seed layout")
            .on_hover_text("start the t-SNE layout again from random positions")
            .clicked()
        {
            out.push(AppCommand::ReseedLayout);
        }
    });
}

/// The view's own controls (projection, overlays, points, slow motion or t-SNE), shared by
/// every run shown; `dim` is the embedding's dimension, `gpu` whether the WGSL renderer exists.
pub fn controls(
    ui: &mut Ui,
    view: &mut ViewState,
    config: &RunConfig,
    dim: Option<usize>,
    gpu: bool,
) -> Vec<AppCommand> {
    let mut out = Vec::new();
    ui.horizontal_wrapped(|ui| {
        ui.label("view:");
        ui.selectable_value(&mut view.projection, Projection::Unit, "sphere")
            .on_hover_text(
                "the normalised embedding as the loss sees it, on the fixed scale of the unit sphere: a collapse looks like the points converging",
            );
        ui.selectable_value(&mut view.projection, Projection::Pca, "PCA")
            .on_hover_text(
                "the two directions of largest variance of the raw embedding, zoomed to fit: the global shape (hides scale)",
            );
        ui.selectable_value(&mut view.projection, Projection::Tsne, "t-SNE")
            .on_hover_text(
                "neighbourhoods kept, distances between clusters not: clusters forming, updated live on its own thread",
            );
        // The raw embedding is drawable only when it is 2- or 3-dimensional.
        for (projection, d, label) in [
            (Projection::Circle, 2, "raw d=2"),
            (Projection::Sphere, 3, "raw d=3"),
        ] {
            ui.add_enabled_ui(config.out_dim == d, |ui| {
                ui.selectable_value(&mut view.projection, projection, label)
                    .on_hover_text(if d == 2 {
                        "the raw 2-d embedding on the unit circle"
                    } else {
                        "the raw 3-d embedding on the unit sphere, with turn and tilt (the far side dimmed)"
                    })
                    .on_disabled_hover_text(format!(
                        "set the output dimension to {d} to see the raw embedding"
                    ));
            });
        }
        let tsne = view.projection == Projection::Tsne;
        ui.add_enabled_ui(!tsne, |ui| {
            ui.checkbox(&mut view.show_pairs, "join views")
                .on_hover_text(
                    "each line joins the embeddings of two augmented views of one sample: short lines = aligned views",
                )
                .on_disabled_hover_text("t-SNE cannot place points it was not fitted on: lines in the other views");
        });
        let why_not = super::forces::unavailable(config.method)
            .or((view.projection != Projection::Unit).then_some("in the sphere view"));
        ui.add_enabled(
            why_not.is_none(),
            egui::Checkbox::new(&mut view.forces, "forces"),
        )
        .on_hover_text(
            "the loss's force on each embedding of a batch of probe samples: why the points move; click a point for its positive and negatives",
        )
        .on_disabled_hover_text(why_not.unwrap_or_default());
        point_controls(ui, view, gpu);
        if fixed_scale(view.projection) {
            ui.checkbox(&mut view.zoom_to_fit, "zoom to fit")
                .on_hover_text(
                    "off: the fixed scale of the unit sphere, where a collapse looks like one; on: zoomed onto the points (hides how close together they are)",
                );
        }
    });
    if view.projection == Projection::Tsne {
        tsne_controls(ui, view, &mut out);
    } else {
        slow_motion_controls(ui, view, &mut out);
    }
    if shows_raw_sphere(view, dim) {
        ui.horizontal(|ui| {
            ui.add(
                egui::Slider::new(&mut view.yaw, -std::f32::consts::PI..=std::f32::consts::PI)
                    .text("turn"),
            );
            ui.add(
                egui::Slider::new(
                    &mut view.pitch,
                    -std::f32::consts::FRAC_PI_2..=std::f32::consts::FRAC_PI_2,
                )
                .text("tilt"),
            );
        });
    }
    out
}

/// Whether the raw 3-d sphere is shown (it has turn and tilt, and a far side).
fn shows_raw_sphere(view: &ViewState, dim: Option<usize>) -> bool {
    view.projection == Projection::Sphere && dim == Some(3)
}

/// How a view relates to the other run's beside it (all empty for a single run).
#[derive(Clone, Copy, Default)]
pub struct Link<'a> {
    /// Rotate (or reflect) this run's layout onto these points, sample for sample (run A's),
    /// so that the same cluster sits in the same place in both views.
    pub align_to: Option<&'a [[f32; 2]]>,
    /// The sample the pointer is on in either view: ringed in both.
    pub highlight: Option<usize>,
    /// Colour each sample by this value in [0, 1] (neighbour agreement) instead of its class.
    pub shade: Option<&'a [f64]>,
    /// Tells the plots of views side by side apart.
    pub id: &'a str,
}

/// What a view reports after drawing.
#[derive(Default)]
pub struct ViewOutput {
    pub commands: Vec<AppCommand>,
    /// The probe sample under the pointer.
    pub hovered: Option<usize>,
}

/// One of two views side by side: its heading, its view state, the run it draws and, in the
/// agreement colour mode, the shade of each sample.
pub struct Side<'a> {
    pub title: &'a str,
    pub view: &'a mut RunView,
    pub run: &'a RunFrame<'a>,
    pub shade: Option<&'a [f64]>,
}

/// Two runs side by side: the right one rotated onto the left (the same cluster in the same
/// place), the sample under the pointer in either ringed in both.
pub fn side_by_side(
    ui: &mut Ui,
    view: &ViewState,
    gpu: bool,
    highlight: Option<usize>,
    left: Side<'_>,
    right: Side<'_>,
) -> ViewOutput {
    let mut outputs = Vec::new();
    ui.columns(2, |columns| {
        columns[0].strong(left.title);
        let link = Link {
            highlight,
            shade: left.shade,
            id: "left",
            ..Default::default()
        };
        outputs.push(left.view.ui(&mut columns[0], view, left.run, gpu, link));
        columns[1].strong(right.title);
        let target = left.view.target().to_vec();
        let link = Link {
            align_to: Some(&target),
            highlight,
            shade: right.shade,
            id: "right",
        };
        outputs.push(right.view.ui(&mut columns[1], view, right.run, gpu, link));
    });
    ViewOutput {
        hovered: outputs.iter().find_map(|o| o.hovered),
        commands: outputs.into_iter().flat_map(|o| o.commands).collect(),
    }
}

/// One run's embedding view: its points gliding between layouts, the point the user picked.
#[derive(Default)]
pub struct RunView {
    /// Where the points are heading this frame (after any alignment), and the step of the
    /// snapshot (or layout) they show.
    target: Vec<[f32; 2]>,
    target_step: Option<usize>,
    glide: Glide,
    /// The last frame's plot coordinates, and the sample it ringed.
    transform: Option<egui_plot::PlotTransform>,
    ringed: Option<usize>,
    /// The point of the forces overlay the user clicked.
    selected_point: Option<usize>,
    /// The last frame drew the points with the WGSL renderer.
    drew_gpu_points: bool,
}

impl RunView {
    /// The optimizer step being played in slow motion, if one is.
    pub fn slow_move(&self) -> Option<&SlowMove> {
        self.glide.slow_move()
    }

    /// Play the next step of `from_step` slowly, over `seconds`.
    pub fn arm_slow_motion(&mut self, from_step: usize, seconds: f32) {
        self.glide.arm_slow_motion(from_step, seconds);
    }

    pub fn drew_gpu_points(&self) -> bool {
        self.drew_gpu_points
    }

    /// Where the points are heading, as of the last frame.
    pub fn target(&self) -> &[[f32; 2]] {
        &self.target
    }

    /// The step of the snapshot (or t-SNE layout) the points show.
    pub fn target_step(&self) -> Option<usize> {
        self.target_step
    }

    /// Where sample `i` was drawn on screen in the last frame.
    pub fn screen_pos(&self, i: usize) -> Option<egui::Pos2> {
        let p = self.glide.shown().get(i)?;
        let point = egui_plot::PlotPoint::new(p[0], p[1]);
        Some(self.transform.as_ref()?.position_from_point(&point))
    }

    /// The sample the last frame ringed (the one hovered in either view).
    pub fn ringed(&self) -> Option<usize> {
        self.ringed
    }

    /// Draw `run` as `view` says (`gpu`: the WGSL renderer exists), linked to the view beside
    /// it by `link`.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        view: &ViewState,
        run: &RunFrame,
        gpu: bool,
        link: Link<'_>,
    ) -> ViewOutput {
        let mut out = Vec::new();
        let mut hovered = None;
        let sphere = shows_raw_sphere(view, run.published.snapshot.as_ref().map(|s| s.dim));
        match layout(view, run) {
            Err(why) => {
                ui.centered_and_justified(|ui| ui.label(why));
            }
            Ok(mut target) => {
                if let Some(a) = link.align_to.filter(|a| a.len() == target.points.len()) {
                    target.points = crate::projection::eig::align_points(&target.points, a);
                }
                self.target.clone_from(&target.points);
                self.target_step = Some(target.step);
                if self.glide.frame(&target.points, target.step) {
                    super::pacing::request_frame(ui.ctx());
                }
                let slow = self.glide.slow_move().map(|m| {
                    format!(
                        "  ·  slow motion: step {} -> {}, {:.0} %",
                        m.steps.0,
                        m.steps.1,
                        100.0 * m.progress()
                    )
                });
                let caption = ui.label(format!("{}{}", target.caption, slow.unwrap_or_default()));
                if !target.detail.is_empty() {
                    caption.on_hover_text(&target.detail);
                }
                let points = self.glide.shown().to_vec();
                let labels = target.labels;
                let names = run.published.status.class_names.clone();
                // On the sphere, points on the far hemisphere are drawn dimmed, in their own series.
                let far: Vec<bool> = match (sphere, &run.published.snapshot) {
                    (true, Some(snap)) => snap
                        .z
                        .chunks_exact(3)
                        .map(|p| on_sphere(p, view.yaw, view.pitch).1 < 0.0)
                        .collect(),
                    _ => vec![false; points.len()],
                };
                // Points are grouped by class, or by their shade in tenths.
                let (groups, palette, group_names) = match link.shade {
                    Some(s) if s.len() == labels.len() => (
                        s.iter()
                            .map(|v| (v * 10.0).round().clamp(0.0, 10.0) as usize)
                            .collect(),
                        (0..=10)
                            .map(|g| sequential(g as f32 / 10.0))
                            .collect::<Vec<_>>(),
                        (0..=10)
                            .map(|g| format!("{:.1}", g as f32 / 10.0))
                            .collect(),
                    ),
                    _ => (
                        labels.clone(),
                        (0..names.len().max(1)).map(class_colour).collect(),
                        names.clone(),
                    ),
                };
                let classes = palette.len();
                let gpu = use_gpu(view, gpu, points.len());
                self.drew_gpu_points = gpu;
                let (radius, opacity) = (view.point_radius, view.point_opacity);
                let colour_of = |l: usize, back: bool| {
                    let c = palette[l % classes];
                    if back { c.gamma_multiply(0.3) } else { c }
                };
                let mut by_class: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 2 * classes];
                let mut instances: Vec<PointInstance> = Vec::new();
                for ((p, &l), &back) in points.iter().zip(&groups).zip(&far) {
                    let series = by_class.get_mut(l + if back { classes } else { 0 });
                    if gpu {
                        let c = colour_of(l, back).to_srgba_unmultiplied();
                        instances.push(PointInstance {
                            position: *p,
                            colour: c.map(|v| v as f32 / 255.0),
                        });
                    } else if let Some(v) = series {
                        v.push([p[0] as f64, p[1] as f64]);
                    }
                }
                // In slow motion, each point's path from before the step to after it (a subsample).
                let paths: Vec<(usize, [f64; 2], [f64; 2])> = self
                    .glide
                    .slow_move()
                    .map(|m| {
                        let every = (m.from.len() / 300).max(1);
                        m.from
                            .iter()
                            .zip(&m.to)
                            .zip(&labels)
                            .step_by(every)
                            .map(|((a, b), &l)| {
                                (l, [a[0] as f64, a[1] as f64], [b[0] as f64, b[1] as f64])
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let mut pairs: Vec<(usize, [f64; 2], [f64; 2])> = Vec::new();
                if view.show_pairs
                    && let Some(snap) = &run.published.snapshot
                {
                    let d = snap.dim.max(1);
                    for (i, (a, b)) in snap
                        .view_a
                        .chunks_exact(d)
                        .zip(snap.view_b.chunks_exact(d))
                        .take(crate::train::snapshot::VIEW_LINES)
                        .enumerate()
                    {
                        if let (Some(pa), Some(pb)) = (project(view, run, a), project(view, run, b))
                        {
                            let label = labels.get(i).copied().unwrap_or(0);
                            pairs.push((
                                label,
                                [pa[0] as f64, pa[1] as f64],
                                [pb[0] as f64, pb[1] as f64],
                            ));
                        }
                    }
                }
                // CLIP's zero-shot prompts through the text tower, where the projection maps them.
                let mut prompts: Vec<(usize, [f64; 2], String)> = Vec::new();
                if let Some(p) = run
                    .published
                    .snapshot
                    .as_ref()
                    .and_then(|s| s.prompts.as_ref())
                {
                    let d = run.published.snapshot.as_ref().map_or(1, |s| s.dim.max(1));
                    prompts =
                        p.z.chunks_exact(d)
                            .zip(p.classes.iter().zip(&p.texts))
                            .filter_map(|(z, (&class, text))| {
                                let at = project(view, run, z)?;
                                Some((class, [at[0] as f64, at[1] as f64], text.clone()))
                            })
                            .collect();
                    ui.label(egui::RichText::new(if prompts.is_empty() {
                        format!("zero-shot accuracy {:.2}: the prompts are not drawn here (t-SNE has no map for points it was not fitted on)", p.accuracy)
                    } else {
                        format!("◆ the zero-shot prompts (\"{}\" …) through the text tower: each image's nearest prompt is its zero-shot class (accuracy {:.2})", p.texts.first().map_or("", |t| t.as_str()), p.accuracy)
                    }).small());
                }
                if link.shade.is_some() {
                    ui.label("neighbour agreement with the other run (k = 10): share of each sample's nearest neighbours the two runs have in common");
                }
                class_legend(ui, &group_names, &palette);
                let overlay = (view.forces
                    && view.projection == Projection::Unit
                    && super::forces::unavailable(run.config.method).is_none())
                .then(|| super::forces::overlay(run, run.sphere()?, self.selected_point))
                .flatten();
                if let Some(o) = &overlay {
                    ui.label(egui::RichText::new(&o.caption).small());
                }
                let fit = view.zoom_to_fit || !fixed_scale(view.projection);
                let mut plot = Plot::new(("embedding", link.id, fit)).data_aspect(1.0);
                if !fit {
                    // A square of [−1.1, 1.1]²: the whole circle, at the largest size that fits.
                    let side = ui.available_width().min(ui.available_height()).max(100.0);
                    plot = plot
                        .width(side)
                        .height(side)
                        .default_x_bounds(-1.1, 1.1)
                        .default_y_bounds(-1.1, 1.1);
                }
                let outline = sphere || view.projection == Projection::Unit;
                let response = plot.show(ui, |plot| {
                    if outline {
                        let outline: Vec<[f64; 2]> = (0..=128)
                            .map(|i| {
                                let a = i as f64 / 128.0 * std::f64::consts::TAU;
                                [a.cos(), a.sin()]
                            })
                            .collect();
                        plot.line(Line::new("", PlotPoints::from(outline)).color(Color32::GRAY));
                    }
                    for (k, pts) in by_class.into_iter().enumerate() {
                        // The front series always exists, so the legend shows the full colour.
                        if pts.is_empty() && k >= classes {
                            continue;
                        }
                        let class = k % classes;
                        let name = group_names
                            .get(class)
                            .cloned()
                            .unwrap_or_else(|| class.to_string());
                        plot.points(
                            Points::new(name, PlotPoints::from(pts))
                                .color(colour_of(class, k >= classes).gamma_multiply(opacity))
                                .radius(radius),
                        );
                    }
                    if gpu {
                        plot.add(GpuPoints::new(Arc::new(instances), radius, opacity));
                    }
                    for (label, a, b) in paths {
                        plot.line(
                            Line::new("", PlotPoints::from(vec![a, b]))
                                .color(class_colour(label).gamma_multiply(0.35))
                                .width(1.0),
                        );
                    }
                    for (label, a, b) in pairs {
                        plot.line(
                            Line::new("", PlotPoints::from(vec![a, b]))
                                .color(class_colour(label))
                                .width(1.5),
                        );
                    }
                    if let Some(o) = &overlay {
                        draw_overlay(plot, o);
                    }
                    for (class, at, text) in &prompts {
                        plot.points(
                            Points::new("", PlotPoints::from(vec![*at]))
                                .shape(egui_plot::MarkerShape::Diamond)
                                .color(class_colour(*class))
                                .radius(radius + 6.0),
                        );
                        plot.points(
                            Points::new("", PlotPoints::from(vec![*at]))
                                .shape(egui_plot::MarkerShape::Diamond)
                                .color(Color32::WHITE)
                                .filled(false)
                                .radius(radius + 7.0),
                        );
                        plot.text(
                            egui_plot::Text::new(
                                "",
                                egui_plot::PlotPoint::new(at[0], at[1]),
                                egui::RichText::new(text).strong().color(Color32::WHITE),
                            )
                            .anchor(egui::Align2::LEFT_BOTTOM),
                        );
                    }
                    self.ringed = link.highlight.filter(|&i| i < points.len());
                    if let Some(p) = link.highlight.and_then(|i| points.get(i)) {
                        plot.points(
                            Points::new("", PlotPoints::from(vec![[p[0] as f64, p[1] as f64]]))
                                .color(Color32::WHITE)
                                .filled(false)
                                .radius(radius + 5.0),
                        );
                    }
                    // The probe point under the pointer, if one is close (2 % of the view),
                    // found on a grid of that cell size; and the overlay's point, for a click.
                    let c = plot.pointer_coordinate()?;
                    let bounds = plot.plot_bounds();
                    let cell = [0.02 * bounds.width(), 0.02 * bounds.height()];
                    let on_overlay = overlay.as_ref().and_then(|o| {
                        let pts: Vec<[f32; 2]> = o
                            .points
                            .iter()
                            .map(|(_, p)| [p[0] as f32, p[1] as f32])
                            .collect();
                        SpatialGrid::build(&pts, cell).nearest(&pts, [c.x, c.y])
                    });
                    Some((
                        SpatialGrid::build(&points, cell).nearest(&points, [c.x, c.y]),
                        on_overlay,
                    ))
                });
                if overlay.is_some() && response.response.clicked() {
                    self.selected_point = response.inner.and_then(|(_, o)| o);
                }
                self.transform = Some(response.transform);
                let response = egui_plot::PlotResponse {
                    inner: response.inner.and_then(|(probe, _)| probe),
                    response: response.response,
                    transform: response.transform,
                    hovered_plot_item: response.hovered_plot_item,
                };
                out.extend(super::files::save_plot_menu(
                    &response.response,
                    "embedding",
                ));
                if let Some(i) = response.inner {
                    hovered = Some(i);
                    hover_card(response.response, run, i, &labels, &names);
                }
            }
        }
        ViewOutput {
            commands: out,
            hovered,
        }
    }
}

/// The forces overlay: the batch's embeddings (hollow), the selected point's rays (its positive
/// white, each negative as bright as its softmax weight), and the force arrows.
fn draw_overlay(plot: &mut egui_plot::PlotUi<'_>, o: &super::forces::Overlay) {
    for (from, to, weight, positive) in &o.rays {
        let colour = if *positive {
            Color32::WHITE
        } else {
            Color32::from_rgb(255, 120, 80).gamma_multiply(weight.clamp(0.03, 1.0))
        };
        plot.line(
            Line::new("", PlotPoints::from(vec![*from, *to]))
                .color(colour)
                .width(if *positive { 2.0 } else { 1.0 }),
        );
    }
    for (class, p) in &o.points {
        plot.points(
            Points::new("", PlotPoints::from(vec![*p]))
                .color(class_colour(*class))
                .filled(false)
                .radius(4.0),
        );
    }
    let (origins, tips): (Vec<[f64; 2]>, Vec<[f64; 2]>) =
        o.arrows.iter().map(|(_, a, b)| (*a, *b)).unzip();
    plot.arrows(
        egui_plot::Arrows::new("", PlotPoints::from(origins), PlotPoints::from(tips))
            .color(Color32::WHITE)
            .tip_length(6.0),
    );
}

/// Whether a projection has the fixed scale of the unit sphere (the others zoom to fit).
pub fn fixed_scale(p: Projection) -> bool {
    matches!(
        p,
        Projection::Unit | Projection::Circle | Projection::Sphere
    )
}

/// The colours' meanings, in a row above the plot: a legend inside the plot hid the points
/// under it.
fn class_legend(ui: &mut Ui, names: &[String], palette: &[Color32]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 10.0;
        for (class, colour) in palette.iter().enumerate() {
            let name = names
                .get(class)
                .cloned()
                .unwrap_or_else(|| class.to_string());
            ui.label(egui::RichText::new(format!("● {name}")).color(*colour));
        }
    });
}

/// What the pointer is on: the sample itself (thumbnail), its class and caption.
fn hover_card(
    response: egui::Response,
    run: &RunFrame,
    i: usize,
    labels: &[usize],
    names: &[String],
) {
    let samples = run.published.probe.clone();
    response.on_hover_ui_at_pointer(|ui| {
        let class = labels
            .get(i)
            .and_then(|&l| names.get(l))
            .cloned()
            .unwrap_or_default();
        ui.label(format!("probe sample {} : {class}", i + 1));
        if let Some(s) = samples {
            let len = s.input.len();
            if let Some(x) = s.inputs.get(i * len..(i + 1) * len) {
                super::preview::draw_sample(ui, s.input, x, 72.0);
            }
            if let Some(Some(caption)) = s.captions.get(i) {
                ui.label(format!("caption: \"{caption}\""));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{GLIDE_TIME, Glide, on_sphere};

    #[test]
    fn points_glide_towards_a_new_layout_and_arrive() {
        let mut g = Glide::default();
        // The first layout (or a new point count) is shown at once.
        assert!(!g.advance(&[[0.0, 0.0], [1.0, 1.0]], 0, 0.016));
        assert_eq!(g.shown(), &[[0.0, 0.0], [1.0, 1.0]]);
        // After one time constant, 1/e of the way is left; the points are still moving.
        assert!(g.advance(&[[1.0, 0.0], [1.0, -1.0]], 5, GLIDE_TIME));
        let left = (-1.0f32).exp();
        assert!((g.shown()[0][0] - (1.0 - left)).abs() < 1e-5);
        assert!((g.shown()[1][1] - (-1.0 + 2.0 * left)).abs() < 1e-5);
        // They arrive exactly, and then stop.
        for _ in 0..100 {
            g.advance(&[[1.0, 0.0], [1.0, -1.0]], 5, 0.05);
        }
        assert_eq!(g.shown(), &[[1.0, 0.0], [1.0, -1.0]]);
        assert!(!g.advance(&[[1.0, 0.0], [1.0, -1.0]], 5, 0.05));
        assert!(
            !g.advance(&[[5.0, 5.0]], 5, 0.05),
            "a new point count jumps"
        );
    }

    #[test]
    fn slow_motion_moves_in_a_straight_line_over_the_chosen_time() {
        let mut g = Glide::default();
        g.advance(&[[0.0, 0.0], [2.0, 2.0]], 10, 0.0);
        g.arm_slow_motion(10, 4.0);
        // The same step's layout again does not start it; the next step's does.
        assert!(!g.advance(&[[0.0, 0.0], [2.0, 2.0]], 10, 0.1));
        assert!(g.slow_move().is_none());
        let after = [[4.0, 0.0], [2.0, -2.0]];
        assert!(g.advance(&after, 11, 0.0));
        assert_eq!(g.slow_move().map(|m| m.steps), Some((10, 11)));
        // Halfway in time is halfway in space (smoothstep is symmetric), on the straight line.
        assert!(g.advance(&after, 11, 2.0));
        assert!((g.shown()[0][0] - 2.0).abs() < 1e-5 && g.shown()[0][1].abs() < 1e-6);
        assert!((g.shown()[1][1] - 0.0).abs() < 1e-5 && (g.shown()[1][0] - 2.0).abs() < 1e-6);
        // A quarter of the way in time is less than a quarter in space: it starts at rest.
        let mut h = Glide::default();
        h.advance(&[[0.0, 0.0]], 1, 0.0);
        h.arm_slow_motion(1, 4.0);
        h.advance(&[[1.0, 0.0]], 2, 1.0);
        assert!(h.shown()[0][0] < 0.25);
        // It arrives and stops.
        assert!(!g.advance(&after, 11, 2.5));
        assert_eq!(g.shown(), &after);
        assert!(g.slow_move().is_none());
    }
    use std::f32::consts::FRAC_PI_2;

    #[test]
    fn sphere_projection_rotates_and_tells_front_from_back() {
        let ([x, y], depth) = on_sphere(&[0.0, 0.0, 5.0], 0.0, 0.0);
        assert!(x.abs() < 1e-6 && y.abs() < 1e-6 && (depth - 1.0).abs() < 1e-6);
        // A quarter turn brings +x to the back.
        let ([x, _], depth) = on_sphere(&[2.0, 0.0, 0.0], FRAC_PI_2, 0.0);
        assert!(x.abs() < 1e-6 && (depth + 1.0).abs() < 1e-6);
        // Tilting by a quarter turn brings +y to the back too; points stay on the unit disc.
        let (_, depth) = on_sphere(&[0.0, 1.0, 0.0], 0.0, FRAC_PI_2);
        assert!((depth - 1.0).abs() < 1e-6 || (depth + 1.0).abs() < 1e-6);
        let ([x, y], _) = on_sphere(&[0.3, -0.7, 0.2], 0.4, 0.9);
        assert!(x * x + y * y <= 1.0 + 1e-6);
    }
}
