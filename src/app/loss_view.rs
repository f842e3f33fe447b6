//! What the loss sees: the cosine similarities among both views of a few probe samples, and
//! the softmax(sim/τ) that InfoNCE turns each row into. Dragging τ sharpens or flattens the
//! softmax at once: it is computed here from the published similarities and the current τ.

use super::LabApp;
use super::embedding::class_colour;
use egui::{Color32, Rect, Sense, Ui, pos2, vec2};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Matrix {
    #[default]
    Cosine,
    Softmax,
}

/// −1 blue … 0 near-black … +1 red.
fn diverging(v: f32) -> Color32 {
    let v = v.clamp(-1.0, 1.0);
    let (r, g, b) = if v >= 0.0 {
        (40.0 + 215.0 * v, 40.0 + 60.0 * v, 40.0)
    } else {
        (40.0, 40.0 - 10.0 * v, 40.0 - 215.0 * v)
    };
    Color32::from_rgb(r as u8, g as u8, b as u8)
}

/// 0 black … 1 yellow, with a square-root ramp so small probabilities stay visible.
fn sequential(p: f32) -> Color32 {
    let t = p.clamp(0.0, 1.0).sqrt();
    Color32::from_rgb(
        (255.0 * t) as u8,
        (220.0 * t) as u8,
        (60.0 * (1.0 - t)) as u8,
    )
}

pub fn view(ui: &mut Ui, app: &mut LabApp) {
    let tau = app.state.config.temperature;
    ui.horizontal(|ui| {
        ui.label("show:");
        ui.selectable_value(
            &mut app.state.view.matrix,
            Matrix::Cosine,
            "cosine similarity",
        );
        ui.selectable_value(
            &mut app.state.view.matrix,
            Matrix::Softmax,
            format!("softmax(sim / τ), τ = {tau:.3}"),
        );
    });
    let Some(snap) = app.snapshot.clone() else {
        ui.label("waiting for the first snapshot…");
        return;
    };
    let p = &snap.pairs;
    let k = 2 * p.m;
    if k == 0 {
        return;
    }
    ui.label(format!(
        "{} probe samples, sorted by class, each as two augmented views: rows/columns 1–{} are the first views, {}–{} the second. \
         A row's positive is its other view (the bright off-diagonal lines); InfoNCE wants all of the row's softmax mass there.",
        p.m,
        p.m,
        p.m + 1,
        k
    ));
    let values: Vec<f32> = match app.state.view.matrix {
        Matrix::Cosine => p.sim.clone(),
        Matrix::Softmax => p.softmax(tau),
    };
    super::preview::view(ui, app);
    ui.separator();
    let side = (ui.available_width().min(ui.available_height() - 20.0)).max(120.0);
    let (response, painter) = ui.allocate_painter(vec2(side, side), Sense::hover());
    let strip = 6.0;
    let cell = (side - strip) / k as f32;
    let origin = response.rect.min + vec2(strip, strip);
    // Class strips along the top and left edges.
    for i in 0..k {
        let colour = class_colour(p.labels[i % p.m]);
        painter.rect_filled(
            Rect::from_min_size(
                pos2(origin.x + i as f32 * cell, response.rect.min.y),
                vec2(cell, strip - 1.0),
            ),
            0.0,
            colour,
        );
        painter.rect_filled(
            Rect::from_min_size(
                pos2(response.rect.min.x, origin.y + i as f32 * cell),
                vec2(strip - 1.0, cell),
            ),
            0.0,
            colour,
        );
    }
    for i in 0..k {
        for j in 0..k {
            let v = values[i * k + j];
            let colour = match app.state.view.matrix {
                Matrix::Cosine => diverging(v),
                Matrix::Softmax => sequential(v),
            };
            let min = origin + vec2(j as f32 * cell, i as f32 * cell);
            painter.rect_filled(Rect::from_min_size(min, vec2(cell, cell)), 0.0, colour);
        }
    }
    if let Some(pos) = response.hover_pos() {
        let (j, i) = (
            ((pos.x - origin.x) / cell) as isize,
            ((pos.y - origin.y) / cell) as isize,
        );
        if (0..k as isize).contains(&i) && (0..k as isize).contains(&j) {
            let (i, j) = (i as usize, j as usize);
            let names = &app.status().class_names;
            let name = |r: usize| names.get(p.labels[r % p.m]).cloned().unwrap_or_default();
            let view = |r: usize| if r < p.m { "view 1" } else { "view 2" };
            response.on_hover_text(format!(
                "row {} ({}, {}) × column {} ({}, {})\ncosine {:.3}, softmax {:.4}",
                i + 1,
                name(i),
                view(i),
                j + 1,
                name(j),
                view(j),
                p.sim[i * k + j],
                p.softmax(tau)[i * k + j]
            ));
        }
    }
}
