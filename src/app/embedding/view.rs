//! One run's embedding view, and two side by side (the right rotated onto the left).

use super::draw::{Scene, class_legend, hover_card};
use super::glide::{Glide, SlowMove};
use super::layout::{Target, layout};
use super::{Projection, ViewState, fixed_scale};
use crate::app::{AppCommand, RunFrame};
use crate::render::SpatialGrid;
use egui::Ui;
use egui_plot::Plot;

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
    /// A panel of a grid (a sweep's small multiples): the plot alone, without the captions
    /// and the legend, which the grid draws once above its panels.
    pub compact: bool,
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
            compact: false,
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
        let target = match layout(view, run) {
            Ok(target) => target,
            Err(why) => {
                ui.centered_and_justified(|ui| ui.label(why));
                return ViewOutput::default();
            }
        };
        // The caption, unless compact: on one line in presenter mode.
        let caption = (!link.compact).then_some(view.present);
        let target = self.follow(ui, target, link.align_to, caption);
        let scene = Scene::of(
            view,
            run,
            target,
            (self.glide.shown(), self.glide.slow_move()),
            link.shade,
            gpu,
        );
        self.drew_gpu_points = scene.gpu;
        if !link.compact {
            captions(ui, run, &scene, link.shade.is_some());
        }
        let overlay = (view.forces
            && view.projection == Projection::Unit
            && crate::app::forces::unavailable(run.config.method).is_none())
        .then(|| crate::app::forces::overlay(run, run.sphere()?, self.selected_point))
        .flatten();
        if let Some(o) = overlay.as_ref().filter(|_| !link.compact) {
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
        self.ringed = link.highlight.filter(|&i| i < scene.points.len());
        let response = plot.show(ui, |plot| {
            scene.draw(plot, overlay.as_ref(), link.highlight);
            // The probe point under the pointer, if one is close (2 % of the view), found on
            // a grid of that cell size; and the overlay's point, for a click.
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
            let points = &scene.points;
            Some((
                SpatialGrid::build(points, cell).nearest(points, [c.x, c.y]),
                on_overlay,
            ))
        });
        if overlay.is_some() && response.response.clicked() {
            self.selected_point = response.inner.and_then(|(_, o)| o);
        }
        self.transform = Some(response.transform);
        let commands = crate::app::files::save_plot_menu(&response.response, "embedding")
            .into_iter()
            .collect();
        let hovered = response.inner.and_then(|(probe, _)| probe);
        if let Some(i) = hovered {
            let names = &run.published.status.class_names;
            hover_card(response.response, run, i, &scene.labels, names);
        }
        ViewOutput { commands, hovered }
    }

    /// Head for `target` (rotated onto `align_to`, the view beside, where given): the points
    /// glide there; the caption says what they show.
    fn follow(
        &mut self,
        ui: &mut Ui,
        mut target: Target,
        align_to: Option<&[[f32; 2]]>,
        caption: Option<bool>,
    ) -> Target {
        if let Some(a) = align_to.filter(|a| a.len() == target.points.len()) {
            target.points = crate::projection::eig::align_points(&target.points, a);
        }
        self.target.clone_from(&target.points);
        self.target_step = Some(target.step);
        if self.glide.frame(&target.points, target.step) {
            crate::app::pacing::request_frame(ui.ctx());
        }
        let Some(one_line) = caption else {
            return target;
        };
        let slow = self.glide.slow_move().map(|m| {
            format!(
                "  ·  slow motion: step {} -> {}, {:.0} %",
                m.steps.0,
                m.steps.1,
                100.0 * m.progress()
            )
        });
        let text = format!("{}{}", target.caption, slow.unwrap_or_default());
        // Presenter mode keeps the picture's room: the caption on one line, whole on hover.
        let caption = if one_line {
            ui.add(egui::Label::new(&text).truncate())
                .on_hover_text(&text)
        } else {
            ui.label(&text)
        };
        if !target.detail.is_empty() {
            caption.on_hover_text(&target.detail);
        }
        target
    }
}

/// What is drawn, said above the plot: CLIP's prompts, the agreement shading (`shaded`), the
/// colours' legend.
fn captions(ui: &mut Ui, run: &RunFrame, scene: &Scene, shaded: bool) {
    if let Some(p) = run
        .published
        .snapshot
        .as_ref()
        .and_then(|s| s.prompts.as_ref())
    {
        ui.label(egui::RichText::new(if scene.prompts.is_empty() {
            format!("zero-shot accuracy {:.2}: the prompts are not drawn here (t-SNE has no map for points it was not fitted on)", p.accuracy)
        } else {
            format!("◆ the zero-shot prompts (\"{}\" …) through the text tower: each image's nearest prompt is its zero-shot class (accuracy {:.2})", p.texts.first().map_or("", |t| t.as_str()), p.accuracy)
        }).small());
    }
    if shaded {
        ui.label("neighbour agreement with the other run (k = 10): share of each sample's nearest neighbours the two runs have in common");
    }
    class_legend(
        ui,
        &scene.group_names,
        &scene.palette,
        scene.by_class.then_some(scene.scheme),
    );
}
