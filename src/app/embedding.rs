//! The embedding view: the probe's embeddings by PCA (orientation kept between snapshots), or
//! the raw unit circle when the output dimension is 2, coloured by class with a legend.

use super::LabApp;
use egui::{Color32, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Projection {
    #[default]
    Pca,
    /// ℓ2-normalised raw coordinates (only when d = 2).
    Circle,
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
    pub tab: CentralTab,
    pub matrix: super::loss_view::Matrix,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            projection: Projection::default(),
            show_pairs: true,
            tab: CentralTab::default(),
            matrix: super::loss_view::Matrix::default(),
        }
    }
}

/// Tableau 10: distinct, colour-blind-friendly class colours.
pub const PALETTE: [Color32; 10] = [
    Color32::from_rgb(78, 121, 167),
    Color32::from_rgb(242, 142, 43),
    Color32::from_rgb(225, 87, 89),
    Color32::from_rgb(118, 183, 178),
    Color32::from_rgb(89, 161, 79),
    Color32::from_rgb(237, 201, 72),
    Color32::from_rgb(176, 122, 161),
    Color32::from_rgb(255, 157, 167),
    Color32::from_rgb(156, 117, 95),
    Color32::from_rgb(186, 176, 172),
];

pub fn class_colour(label: usize) -> Color32 {
    PALETTE[label % PALETTE.len()]
}

fn on_circle(p: &[f32]) -> [f32; 2] {
    let n = (p[0] * p[0] + p[1] * p[1]).sqrt().max(1e-12);
    [p[0] / n, p[1] / n]
}

/// Where an embedding lands in the current projection.
fn project(app: &LabApp, x: &[f32]) -> Option<[f32; 2]> {
    match (app.state.view.projection, &app.pca) {
        (Projection::Circle, _) if x.len() == 2 => Some(on_circle(x)),
        (_, Some(pca)) => Some(pca.project(x)),
        _ => None,
    }
}

/// `(x, y)` per probe point for the current projection, or why there is none.
fn layout(app: &LabApp) -> Result<(Vec<[f32; 2]>, String), String> {
    let snap = app
        .snapshot
        .as_ref()
        .ok_or("waiting for the first snapshot…")?;
    if app.state.view.projection == Projection::Circle && snap.dim == 2 {
        let pts = snap.z.chunks_exact(2).map(on_circle).collect();
        return Ok((pts, "raw embedding on the unit circle".into()));
    }
    let pca = app
        .pca
        .as_ref()
        .ok_or("PCA undefined: the embedding has collapsed to a point")?;
    Ok((
        pca.points.clone(),
        format!(
            "PCA of the {}-d embedding: axes explain {:.0}% + {:.0}% of the variance",
            snap.dim,
            100.0 * pca.explained[0],
            100.0 * pca.explained[1]
        ),
    ))
}

pub fn view(ui: &mut Ui, app: &mut LabApp) {
    ui.horizontal(|ui| {
        ui.label("view:");
        ui.selectable_value(&mut app.state.view.projection, Projection::Pca, "PCA");
        let can_circle = app.state.config.out_dim == 2;
        ui.add_enabled_ui(can_circle, |ui| {
            ui.selectable_value(
                &mut app.state.view.projection,
                Projection::Circle,
                "unit circle (d = 2)",
            )
            .on_disabled_hover_text("set the output dimension to 2 to see the raw embedding");
        });
        ui.checkbox(&mut app.state.view.show_pairs, "join the two views of a few samples")
            .on_hover_text(
                "each line joins the embeddings of two augmented views of one sample: short lines = aligned views",
            );
    });
    let step = app.snapshot.as_ref().map(|s| s.step).unwrap_or(0);
    match layout(app) {
        Err(why) => {
            ui.centered_and_justified(|ui| ui.label(why));
        }
        Ok((points, caption)) => {
            ui.label(format!("step {step}: {caption}"));
            let labels = app
                .snapshot
                .as_ref()
                .map(|s| s.labels.clone())
                .unwrap_or_default();
            let names = app.status().class_names.clone();
            let mut by_class: Vec<Vec<[f64; 2]>> = vec![Vec::new(); names.len().max(1)];
            for (p, &l) in points.iter().zip(&labels) {
                if let Some(v) = by_class.get_mut(l) {
                    v.push([p[0] as f64, p[1] as f64]);
                }
            }
            let mut pairs: Vec<(usize, [f64; 2], [f64; 2])> = Vec::new();
            if app.state.view.show_pairs
                && let Some(snap) = &app.snapshot
            {
                let d = snap.dim.max(1);
                for (i, (a, b)) in snap
                    .view_a
                    .chunks_exact(d)
                    .zip(snap.view_b.chunks_exact(d))
                    .enumerate()
                {
                    if let (Some(pa), Some(pb)) = (project(app, a), project(app, b)) {
                        let label = labels.get(i).copied().unwrap_or(0);
                        pairs.push((
                            label,
                            [pa[0] as f64, pa[1] as f64],
                            [pb[0] as f64, pb[1] as f64],
                        ));
                    }
                }
            }
            let response = Plot::new("embedding")
                .data_aspect(1.0)
                .legend(Legend::default())
                .show(ui, |plot| {
                    for (k, pts) in by_class.into_iter().enumerate() {
                        let name = names.get(k).cloned().unwrap_or_else(|| k.to_string());
                        plot.points(
                            Points::new(name, PlotPoints::from(pts))
                                .color(class_colour(k))
                                .radius(2.5),
                        );
                    }
                    for (label, a, b) in pairs {
                        plot.line(
                            Line::new("", PlotPoints::from(vec![a, b]))
                                .color(class_colour(label))
                                .width(1.5),
                        );
                    }
                    // The probe point under the pointer, if one is close (2 % of the view).
                    let c = plot.pointer_coordinate()?;
                    let bounds = plot.plot_bounds();
                    let (w, h) = (bounds.width().max(1e-12), bounds.height().max(1e-12));
                    points
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            (
                                ((p[0] as f64 - c.x) / w).powi(2)
                                    + ((p[1] as f64 - c.y) / h).powi(2),
                                i,
                            )
                        })
                        .filter(|(dist, _)| *dist < 0.02 * 0.02)
                        .min_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(_, i)| i)
                });
            if let Some(i) = response.inner {
                hover_card(response.response, app, i, &labels, &names);
            }
        }
    }
}

/// What the pointer is on: the sample itself (thumbnail), its class and caption.
fn hover_card(
    response: egui::Response,
    app: &LabApp,
    i: usize,
    labels: &[usize],
    names: &[String],
) {
    let samples = app.trainer().and_then(|t| t.probe_samples());
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
