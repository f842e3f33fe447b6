//! The panel beside the embedding view: projection, points, slow motion and t-SNE.

use super::{GPU_THRESHOLD, PointRenderer, Projection, ViewState, fixed_scale};
use crate::app::AppCommand;
use crate::config::RunConfig;
use egui::Ui;

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
pub(super) fn use_gpu(view: &ViewState, gpu: bool, n: usize) -> bool {
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
    // A label too long for what is left of its row goes to the next row whole (in a narrow
    // panel, wrapping its text would stand it on end, a letter per line).
    ui.scope(|ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        control_rows(ui, view, config, dim, gpu)
    })
    .inner
}

fn control_rows(
    ui: &mut Ui,
    view: &mut ViewState,
    config: &RunConfig,
    dim: Option<usize>,
    gpu: bool,
) -> Vec<AppCommand> {
    let mut out = Vec::new();
    ui.horizontal_wrapped(|ui| {
        ui.label("view:");
        projections(ui, view, config);
        if view.present {
            // Presenter mode keeps the picture's room: the view's options in one menu.
            ui.menu_button("options", |ui| {
                overlay_controls(ui, view, config, gpu);
                step_controls(ui, view, &mut out);
            })
            .response
            .on_hover_text("joined views, forces, points, zoom, slow motion or t-SNE's settings");
        } else {
            overlay_controls(ui, view, config, gpu);
        }
    });
    if !view.present {
        step_controls(ui, view, &mut out);
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

/// Slow motion, or t-SNE's sliders in the t-SNE view.
fn step_controls(ui: &mut Ui, view: &mut ViewState, out: &mut Vec<AppCommand>) {
    if view.projection == Projection::Tsne {
        tsne_controls(ui, view, out);
    } else {
        slow_motion_controls(ui, view, out);
    }
}

/// The projections to choose from.
fn projections(ui: &mut Ui, view: &mut ViewState, config: &RunConfig) {
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
}

/// Joined views, forces, points and zoom to fit.
fn overlay_controls(ui: &mut Ui, view: &mut ViewState, config: &RunConfig, gpu: bool) {
    let tsne = view.projection == Projection::Tsne;
    ui.add_enabled_ui(!tsne, |ui| {
            ui.checkbox(&mut view.show_pairs, "join views")
                .on_hover_text(
                    "each line joins the embeddings of two augmented views of one sample: short lines = aligned views",
                )
                .on_disabled_hover_text("t-SNE cannot place points it was not fitted on: lines in the other views");
        });
    let why_not = crate::app::forces::unavailable(config.method)
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
}

/// Whether the raw 3-d sphere is shown (it has turn and tilt, and a far side).
pub(super) fn shows_raw_sphere(view: &ViewState, dim: Option<usize>) -> bool {
    view.projection == Projection::Sphere && dim == Some(3)
}
