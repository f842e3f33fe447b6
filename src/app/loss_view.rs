//! What the loss sees: the cosine similarities among both views of a few probe samples, and
//! the softmax(sim/τ) that InfoNCE turns each row into. Dragging τ sharpens or flattens the
//! softmax at once: it is computed here from the published similarities and the current τ.
//! For DINO, the teacher's target distribution over the prototypes beside the student's.

use super::RunFrame;
use super::embedding::{Matrix, ViewState};
use crate::config::Centering;
use crate::render::palette::{class_colour, diverging, sequential};
use egui::{Rect, Sense, Ui, pos2, vec2};

/// What the loss sees for `run`; `view` holds which matrix is shown.
pub fn view(ui: &mut Ui, view: &mut ViewState, run: &RunFrame) {
    let tau = run.config.temperature;
    ui.horizontal(|ui| {
        ui.label("show:");
        ui.selectable_value(&mut view.matrix, Matrix::Cosine, "cosine similarity");
        ui.selectable_value(
            &mut view.matrix,
            Matrix::Softmax,
            format!("softmax(sim / τ), τ = {tau:.3}"),
        );
        let dino = run
            .published
            .snapshot
            .as_ref()
            .is_some_and(|s| s.prototypes.is_some());
        ui.add_enabled_ui(dino, |ui| {
            ui.selectable_value(
                &mut view.matrix,
                Matrix::Prototypes,
                "teacher vs student (DINO)",
            )
            .on_disabled_hover_text("DINO only: its loss compares distributions over prototypes");
        });
    });
    let Some(snap) = run.published.snapshot.clone() else {
        ui.label("waiting for the first snapshot…");
        return;
    };
    if view.matrix == Matrix::Prototypes {
        match &snap.prototypes {
            Some(d) => prototypes(ui, run, d),
            None => {
                ui.label("teacher vs student: only DINO has prototype distributions");
            }
        }
        return;
    }
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
    let values: Vec<f32> = match view.matrix {
        Matrix::Cosine => p.sim.clone(),
        // (Prototypes returned above.)
        Matrix::Softmax | Matrix::Prototypes => p.softmax(tau),
    };
    super::preview::view(ui, run);
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
            let colour = match view.matrix {
                Matrix::Cosine => diverging(v),
                Matrix::Softmax | Matrix::Prototypes => sequential(v),
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
            let names = &run.published.status.class_names;
            let name = |r: usize| names.get(p.labels[r % p.m]).cloned().unwrap_or_default();
            let view = |r: usize| if r < p.m { "view 1" } else { "view 2" };
            let s = p.sim[i * k + j] as f64;
            // The softmax's denominator, as NT-Xent has it: every column but the row's own.
            let denom: f64 = (0..k)
                .filter(|&c| c != i)
                .map(|c| (p.sim[i * k + c] as f64 / tau).exp())
                .sum();
            let positive = (i + p.m) % k;
            let role = if j == i {
                "the anchor itself (left out of the softmax)"
            } else if j == positive {
                "its positive (the other view of the same sample)"
            } else {
                "a negative"
            };
            let softmax = if j == i {
                String::new()
            } else {
                format!(
                    "\nsoftmax p = exp(cos/τ) / Σ over the row's other {} columns of exp(cos/τ)\n  = exp({s:.3} / {tau:.3}) / {denom:.4} = {:.4}",
                    k - 1,
                    (s / tau).exp() / denom
                )
            };
            response.on_hover_text(format!(
                "row {} ({}, {}) × column {} ({}, {}): {role}\ncosine = ẑᵢ · ẑⱼ = {s:.3}{softmax}",
                i + 1,
                name(i),
                view(i),
                j + 1,
                name(j),
                view(j),
            ));
        }
    }
}

/// DINO's loss is the cross-entropy between these two: for each probe sample (a row, sorted by
/// class) the teacher's centred and sharpened distribution over the K prototypes, and the
/// student's. One bright column in every teacher row: one prototype wins (no centering); every
/// teacher row flat: the output has gone uniform (no sharpening).
fn prototypes(ui: &mut Ui, run: &RunFrame, d: &crate::run::snapshot::PrototypeDistributions) {
    let m = d.labels.len();
    if m == 0 || d.k == 0 {
        return;
    }
    let c = &run.config;
    ui.label(format!(
        "{m} probe samples (rows, by class) × {} prototypes (columns). Left: the teacher's target softmax((t − c) / τ_t), τ_t = {:.3}{}; right: the student's softmax(s / τ_s), τ_s = {:.3}. DINO trains the student to match the teacher: −Σ P_teacher log P_student.",
        d.k,
        crate::methods::dino::teacher_temperature(c),
        match c.centering {
            Centering::Ema => ", centred",
            Centering::Sinkhorn => ", Sinkhorn-Knopp",
            Centering::Off => ", not centred",
        },
        c.student_temperature
    ));
    let gap = 12.0;
    let width = ((ui.available_width() - gap) / 2.0).max(80.0);
    let cell_w = (width - 5.0) / d.k as f32;
    let cell_h = ((ui.available_height() - 60.0) / m as f32).clamp(4.0, 18.0);
    ui.horizontal(|ui| {
        for (title, values) in [("teacher", &d.teacher), ("student", &d.student)] {
            ui.vertical(|ui| {
                ui.label(format!(
                    "{title}: prototypes in use {:.1} of {}",
                    d.in_use(values),
                    d.k
                ))
                .on_hover_text(
                    "exp(entropy of the mean distribution over the samples shown): 1 when one prototype takes every sample, K when all are used equally. The strip above the rows is that mean distribution.",
                );
                // The mean over the rows: which prototypes win.
                let strip = 10.0;
                let marginal = d.marginal(values);
                let peak = marginal.iter().copied().fold(1e-12, f64::max);
                let (bar, bar_painter) = ui.allocate_painter(vec2(width, strip), Sense::hover());
                for (j, p) in marginal.iter().enumerate() {
                    bar_painter.rect_filled(
                        Rect::from_min_size(
                            bar.rect.min + vec2(5.0 + j as f32 * cell_w, 0.0),
                            vec2(cell_w, strip - 2.0),
                        ),
                        0.0,
                        sequential((p / peak) as f32),
                    );
                }
                let (response, painter) =
                    ui.allocate_painter(vec2(width, cell_h * m as f32), Sense::hover());
                // Leave room on the left for the class strip.
                let origin = response.rect.min + vec2(5.0, 0.0);
                for i in 0..m {
                    for j in 0..d.k {
                        let v = values.get(i * d.k + j).copied().unwrap_or(0.0);
                        let min = origin + vec2(j as f32 * cell_w, i as f32 * cell_h);
                        painter.rect_filled(
                            Rect::from_min_size(min, vec2(cell_w, cell_h)),
                            0.0,
                            sequential(v),
                        );
                    }
                    painter.rect_filled(
                        Rect::from_min_size(
                            origin + vec2(-4.0, i as f32 * cell_h),
                            vec2(3.0, cell_h),
                        ),
                        0.0,
                        class_colour(d.labels[i]),
                    );
                }
                if let Some(pos) = response.hover_pos() {
                    let j = ((pos.x - origin.x) / cell_w) as usize;
                    let i = ((pos.y - origin.y) / cell_h) as usize;
                    if i < m && j < d.k {
                        let row = &values[i * d.k..(i + 1) * d.k];
                        let entropy: f64 = row
                            .iter()
                            .filter(|&&p| p > 0.0)
                            .map(|&p| -(p as f64) * (p as f64).ln())
                            .sum();
                        let name = run
                            .published
                            .status
                            .class_names
                            .get(d.labels[i])
                            .cloned()
                            .unwrap_or_default();
                        response.on_hover_text(format!(
                            "{title}, sample {} ({name}), prototype {}: P = {:.4}\n\
                             row entropy −Σ P log P = {entropy:.3} of ln K = {:.3} (0: one prototype; ln K: uniform)",
                            i + 1,
                            j + 1,
                            row[j],
                            (d.k as f64).ln()
                        ));
                    }
                }
            });
            ui.add_space(gap);
        }
    });
}
