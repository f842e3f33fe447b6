//! What one frame of a run's view draws, and drawing it: the points by class (or by shade),
//! the far hemisphere dimmed, slow motion's paths, the two views of a few samples, CLIP's
//! prompts, the forces overlay, the ring on the hovered sample; the legend above the plot and
//! the card of the sample under the pointer.

use super::layout::{Target, on_sphere, project};
use super::{Projection, ViewState};
use crate::app::RunFrame;
use crate::app::forces::Overlay;
use crate::render::palette::{ClassScheme, sequential};
#[cfg(not(target_arch = "wasm32"))]
use crate::render::{plot_item::GpuPoints, points::PointInstance};
use egui::{Color32, Ui};
use egui_plot::{Line, PlotPoints, PlotUi, Points};
#[cfg(not(target_arch = "wasm32"))]
use std::sync::Arc;

/// A segment from `a` to `b` in the colour of class `label`.
pub type Segment = (usize, [f64; 2], [f64; 2]);

/// Everything one frame of a run's view draws in its plot, in plot coordinates.
pub struct Scene {
    /// `[n]` where each probe sample is drawn now, and its class.
    pub points: Vec<[f32; 2]>,
    pub labels: Vec<usize>,
    /// The colour group of each sample (its class, or its shade in tenths), the groups'
    /// colours and names.
    groups: Vec<usize>,
    pub palette: Vec<Color32>,
    pub group_names: Vec<String>,
    /// How classes are told apart (their colours, and shapes when it says so).
    pub scheme: ClassScheme,
    /// The groups are classes (not shades of agreement): their shapes apply.
    pub by_class: bool,
    /// On the raw sphere, the samples on the far hemisphere (drawn dimmed).
    far: Vec<bool>,
    /// The WGSL renderer draws the points.
    pub gpu: bool,
    radius: f32,
    opacity: f32,
    /// The unit circle is drawn.
    outline: bool,
    /// Slow motion: a subsample of the points' paths over the step.
    paths: Vec<Segment>,
    /// The two views of the first few probe samples, joined.
    pairs: Vec<Segment>,
    /// CLIP's zero-shot prompts where the projection maps them: class, place, text.
    pub prompts: Vec<(usize, [f64; 2], String)>,
}

impl Scene {
    /// The scene of `run` as `view` shows it, its points at `shown` (gliding towards `target`);
    /// `shade`: colour by this value in [0, 1] instead of the class.
    pub fn of(
        view: &ViewState,
        run: &RunFrame,
        target: Target,
        (shown, slow): (&[[f32; 2]], Option<&super::SlowMove>),
        shade: Option<&[f64]>,
        gpu: bool,
    ) -> Self {
        let labels = target.labels;
        let snapshot = run.published.snapshot.as_ref();
        let sphere = super::controls::shows_raw_sphere(view, snapshot.map(|s| s.dim));
        let far: Vec<bool> = match (sphere, snapshot) {
            (true, Some(snap)) => snap
                .z
                .chunks_exact(3)
                .map(|p| on_sphere(p, view.yaw, view.pitch).1 < 0.0)
                .collect(),
            _ => vec![false; shown.len()],
        };
        let (groups, palette, group_names) = match shade {
            Some(s) if s.len() == labels.len() => (
                s.iter()
                    .map(|v| (v * 10.0).round().clamp(0.0, 10.0) as usize)
                    .collect(),
                (0..=10).map(|g| sequential(g as f32 / 10.0)).collect(),
                (0..=10)
                    .map(|g| format!("{:.1}", g as f32 / 10.0))
                    .collect(),
            ),
            _ => {
                let names = run.published.status.class_names.clone();
                let palette = (0..names.len().max(1))
                    .map(|c| view.class_scheme.colour(c))
                    .collect();
                (labels.clone(), palette, names)
            }
        };
        let by_class = !matches!(shade, Some(s) if s.len() == labels.len());
        let paths = slow
            .map(|m| {
                let every = (m.from.len() / 300).max(1);
                m.from
                    .iter()
                    .zip(&m.to)
                    .zip(&labels)
                    .step_by(every)
                    .map(|((a, b), &l)| (l, wide(*a), wide(*b)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            points: shown.to_vec(),
            pairs: view_pairs(view, run, &labels),
            prompts: prompts(view, run),
            labels,
            groups,
            palette,
            group_names,
            scheme: view.class_scheme,
            by_class,
            far,
            // The WGSL renderer draws discs: with shapes on, egui_plot draws the points.
            gpu: super::controls::use_gpu(view, gpu, shown.len()) && !view.class_scheme.shapes(),
            radius: view.point_radius,
            opacity: view.point_opacity,
            outline: sphere || view.projection == Projection::Unit,
            paths,
        }
    }

    /// The colour of group `g`, dimmed on the far hemisphere.
    fn colour(&self, g: usize, far: bool) -> Color32 {
        let c = self.palette[g % self.palette.len().max(1)];
        if far { c.gamma_multiply(0.3) } else { c }
    }

    /// Draw it: the outline, the points (a series per group and hemisphere, or the WGSL
    /// renderer's instances), the paths and pairs, `overlay`, the prompts and a ring on
    /// `highlight`.
    pub fn draw(&self, plot: &mut PlotUi<'_>, overlay: Option<&Overlay>, highlight: Option<usize>) {
        if self.outline {
            let outline: Vec<[f64; 2]> = (0..=128)
                .map(|i| {
                    let a = i as f64 / 128.0 * std::f64::consts::TAU;
                    [a.cos(), a.sin()]
                })
                .collect();
            plot.line(Line::new("", PlotPoints::from(outline)).color(Color32::GRAY));
        }
        let groups = self.palette.len().max(1);
        let mut series: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 2 * groups];
        // The WGSL renderer's points (the desktop's wgpu window; `gpu` is never set elsewhere).
        #[cfg(not(target_arch = "wasm32"))]
        let mut instances: Vec<PointInstance> = Vec::new();
        for ((p, &g), &far) in self.points.iter().zip(&self.groups).zip(&self.far) {
            #[cfg(not(target_arch = "wasm32"))]
            if self.gpu {
                let c = self.colour(g, far).to_srgba_unmultiplied();
                instances.push(PointInstance {
                    position: *p,
                    colour: c.map(|v| v as f32 / 255.0),
                });
                continue;
            }
            if let Some(s) = series.get_mut(g + if far { groups } else { 0 }) {
                s.push(wide(*p));
            }
        }
        for (k, pts) in series.into_iter().enumerate() {
            // The front series always exists, so the legend shows the full colour.
            if pts.is_empty() && k >= groups {
                continue;
            }
            let g = k % groups;
            let name = self
                .group_names
                .get(g)
                .cloned()
                .unwrap_or_else(|| g.to_string());
            let shape = if self.by_class {
                self.scheme.shape(g).0
            } else {
                egui_plot::MarkerShape::Circle
            };
            plot.points(
                Points::new(name, PlotPoints::from(pts))
                    .color(self.colour(g, k >= groups).gamma_multiply(self.opacity))
                    .shape(shape)
                    .radius(self.radius),
            );
        }
        #[cfg(not(target_arch = "wasm32"))]
        if self.gpu {
            plot.add(GpuPoints::new(
                Arc::new(instances),
                self.radius,
                self.opacity,
            ));
        }
        for &(label, a, b) in &self.paths {
            plot.line(
                Line::new("", PlotPoints::from(vec![a, b]))
                    .color(self.scheme.colour(label).gamma_multiply(0.35))
                    .width(1.0),
            );
        }
        for &(label, a, b) in &self.pairs {
            plot.line(
                Line::new("", PlotPoints::from(vec![a, b]))
                    .color(self.scheme.colour(label))
                    .width(1.5),
            );
        }
        if let Some(o) = overlay {
            draw_overlay(plot, o, self.scheme);
        }
        for (class, at, text) in &self.prompts {
            draw_prompt(plot, self.scheme.colour(*class), *at, text, self.radius);
        }
        if let Some(p) = highlight.and_then(|i| self.points.get(i)) {
            plot.points(
                Points::new("", PlotPoints::from(vec![wide(*p)]))
                    .color(Color32::WHITE)
                    .filled(false)
                    .radius(self.radius + 5.0),
            );
        }
    }
}

fn wide(p: [f32; 2]) -> [f64; 2] {
    [p[0] as f64, p[1] as f64]
}

/// The two fixed views of the first probe samples, where the projection maps them.
fn view_pairs(view: &ViewState, run: &RunFrame, labels: &[usize]) -> Vec<Segment> {
    let Some(snap) = run.published.snapshot.as_ref().filter(|_| view.show_pairs) else {
        return Vec::new();
    };
    let d = snap.dim.max(1);
    snap.view_a
        .chunks_exact(d)
        .zip(snap.view_b.chunks_exact(d))
        .take(crate::run::snapshot::VIEW_LINES)
        .enumerate()
        .filter_map(|(i, (a, b))| {
            let (pa, pb) = (project(view, run, a)?, project(view, run, b)?);
            Some((labels.get(i).copied().unwrap_or(0), wide(pa), wide(pb)))
        })
        .collect()
}

/// CLIP's zero-shot prompts through the text tower, where the projection maps them.
fn prompts(view: &ViewState, run: &RunFrame) -> Vec<(usize, [f64; 2], String)> {
    let Some(snap) = run.published.snapshot.as_ref() else {
        return Vec::new();
    };
    let Some(p) = snap.prompts.as_ref() else {
        return Vec::new();
    };
    p.z.chunks_exact(snap.dim.max(1))
        .zip(p.classes.iter().zip(&p.texts))
        .filter_map(|(z, (&class, text))| Some((class, wide(project(view, run, z)?), text.clone())))
        .collect()
}

/// A prompt: a diamond in its class's colour, ringed in white, with its text.
fn draw_prompt(plot: &mut PlotUi<'_>, colour: Color32, at: [f64; 2], text: &str, radius: f32) {
    plot.points(
        Points::new("", PlotPoints::from(vec![at]))
            .shape(egui_plot::MarkerShape::Diamond)
            .color(colour)
            .radius(radius + 6.0),
    );
    plot.points(
        Points::new("", PlotPoints::from(vec![at]))
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

/// white, each negative as bright as its softmax weight), and the force arrows.
fn draw_overlay(
    plot: &mut egui_plot::PlotUi<'_>,
    o: &crate::app::forces::Overlay,
    scheme: ClassScheme,
) {
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
                .color(scheme.colour(*class))
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

/// The classes' colours (and shapes), in a row (above a grid of views that share them).
pub fn class_key(ui: &mut Ui, names: &[String], scheme: ClassScheme) {
    let palette: Vec<Color32> = (0..names.len().max(1)).map(|c| scheme.colour(c)).collect();
    class_legend(ui, names, &palette, Some(scheme));
}

/// The colours' meanings, in a row above the plot (a legend inside the plot hid the points
/// under it); with `scheme`, the groups are classes and each shows its marker's glyph.
pub(super) fn class_legend(
    ui: &mut Ui,
    names: &[String],
    palette: &[Color32],
    scheme: Option<ClassScheme>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 10.0;
        for (class, colour) in palette.iter().enumerate() {
            let name = names
                .get(class)
                .cloned()
                .unwrap_or_else(|| class.to_string());
            let glyph = scheme.map_or("●", |s| s.shape(class).1);
            ui.label(egui::RichText::new(format!("{glyph} {name}")).color(*colour));
        }
    });
}

/// What the pointer is on: the sample itself (thumbnail), its class and caption.
pub(super) fn hover_card(
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
                crate::app::preview::draw_sample(ui, s.input, x, 72.0);
            }
            if let Some(Some(caption)) = s.captions.get(i) {
                ui.label(format!("caption: \"{caption}\""));
            }
        }
    });
}
