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
fn project(app: &LabApp, x: &[f32]) -> Option<[f32; 2]> {
    let v = &app.state.view;
    match (v.projection, &app.pca) {
        (Projection::Circle, _) if x.len() == 2 => Some(on_circle(x)),
        (Projection::Sphere, _) if x.len() == 3 => Some(on_sphere(x, v.yaw, v.pitch).0),
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
    if app.state.view.projection == Projection::Sphere && snap.dim == 3 {
        let (yaw, pitch) = (app.state.view.yaw, app.state.view.pitch);
        let pts = snap
            .z
            .chunks_exact(3)
            .map(|p| on_sphere(p, yaw, pitch).0)
            .collect();
        return Ok((
            pts,
            "raw embedding on the unit sphere (the far side is dimmed)".into(),
        ));
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
        // The raw embedding is drawable only when it is 2- or 3-dimensional.
        for (projection, d, label) in [
            (Projection::Circle, 2, "unit circle (d = 2)"),
            (Projection::Sphere, 3, "unit sphere (d = 3)"),
        ] {
            ui.add_enabled_ui(app.state.config.out_dim == d, |ui| {
                ui.selectable_value(&mut app.state.view.projection, projection, label)
                    .on_disabled_hover_text(format!(
                        "set the output dimension to {d} to see the raw embedding"
                    ));
            });
        }
        ui.checkbox(&mut app.state.view.show_pairs, "join views")
            .on_hover_text(
                "each line joins the embeddings of two augmented views of one sample: short lines = aligned views",
            );
    });
    let sphere = app.state.view.projection == Projection::Sphere
        && app.snapshot.as_ref().is_some_and(|s| s.dim == 3);
    if sphere {
        ui.horizontal(|ui| {
            ui.add(
                egui::Slider::new(
                    &mut app.state.view.yaw,
                    -std::f32::consts::PI..=std::f32::consts::PI,
                )
                .text("turn"),
            );
            ui.add(
                egui::Slider::new(
                    &mut app.state.view.pitch,
                    -std::f32::consts::FRAC_PI_2..=std::f32::consts::FRAC_PI_2,
                )
                .text("tilt"),
            );
        });
    }
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
            // On the sphere, points on the far hemisphere are drawn dimmed, in their own series.
            let far: Vec<bool> = match (sphere, &app.snapshot) {
                (true, Some(snap)) => snap
                    .z
                    .chunks_exact(3)
                    .map(|p| on_sphere(p, app.state.view.yaw, app.state.view.pitch).1 < 0.0)
                    .collect(),
                _ => vec![false; points.len()],
            };
            let classes = names.len().max(1);
            let mut by_class: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 2 * classes];
            for ((p, &l), &back) in points.iter().zip(&labels).zip(&far) {
                if let Some(v) = by_class.get_mut(l + if back { classes } else { 0 }) {
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
                    if sphere {
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
                        let name = names
                            .get(class)
                            .cloned()
                            .unwrap_or_else(|| class.to_string());
                        let colour = if k >= classes {
                            class_colour(class).gamma_multiply(0.3)
                        } else {
                            class_colour(class)
                        };
                        plot.points(
                            Points::new(name, PlotPoints::from(pts))
                                .color(colour)
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

#[cfg(test)]
mod tests {
    use super::on_sphere;
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
