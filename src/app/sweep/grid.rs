//! Small multiples: one embedding view per swept value (its first seed's run) in a grid,
//! headed by the value, every layout rotated onto the first panel's so that the same class
//! sits in the same place; the sample under the pointer in any panel is ringed in all.

use super::SweepRuns;
use crate::app::embedding::{self, Link, ViewOutput, ViewState};
use crate::app::run_slot::RunSlot;
use egui::Ui;

/// Columns of the grid for `n` panels: one row up to three, then two rows.
pub fn columns(n: usize) -> usize {
    if n <= 3 { n.max(1) } else { n.div_ceil(2) }
}

/// Draw the panels of `sweep` from `slots` (slot `i` is the sweep's run `i`).
pub fn small_multiples(
    ui: &mut Ui,
    view: &ViewState,
    gpu: bool,
    highlight: Option<usize>,
    sweep: &SweepRuns,
    slots: &mut [RunSlot],
) -> ViewOutput {
    // The first seed's run of every value, in the values' order.
    let mut panels: Vec<(String, &mut RunSlot)> = slots
        .iter_mut()
        .zip(&sweep.points)
        .filter(|(_, p)| p.seed_offset == 0)
        .map(|(slot, p)| (sweep.panel_heading(&p.value, slot.status().step), slot))
        .collect();
    let Some((_, first)) = panels.first() else {
        return ViewOutput::default();
    };
    let names = first.published().status.class_names.clone();
    let step = first.shown_step().unwrap_or(first.status().step);
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "step {step} · every panel rotated onto the first (the same class in the same place) · hover a sample: it is ringed in all"
        ));
    });
    embedding::class_key(ui, &names, view.class_scheme);
    let cols = columns(panels.len());
    let rows = panels.len().div_ceil(cols);
    let spacing = ui.spacing().item_spacing;
    let width = (ui.available_width() - spacing.x * (cols - 1) as f32) / cols as f32;
    // The views are square: a cell no taller than its width and its heading.
    let heading = ui.text_style_height(&egui::TextStyle::Body) + spacing.y;
    let cell = egui::vec2(
        width,
        ((ui.available_height() - spacing.y * (rows - 1) as f32) / rows as f32)
            .min(width + heading),
    );
    let mut outputs = Vec::new();
    let mut align: Option<Vec<[f32; 2]>> = None;
    for (r, row) in panels.chunks_mut(cols).enumerate() {
        ui.horizontal(|ui| {
            for (c, (heading, slot)) in row.iter_mut().enumerate() {
                let id = format!("sweep-{}", r * cols + c);
                ui.allocate_ui(cell, |ui| {
                    ui.set_min_size(cell);
                    ui.vertical(|ui| {
                        ui.strong(heading.as_str());
                        let (run, run_view) = slot.frame_mut();
                        let link = Link {
                            align_to: align.as_deref(),
                            highlight,
                            shade: None,
                            id: &id,
                            compact: true,
                        };
                        outputs.push(run_view.ui(ui, view, &run, gpu, link));
                        if align.is_none() {
                            align = Some(run_view.target().to_vec());
                        }
                    });
                });
            }
        });
    }
    ViewOutput {
        hovered: outputs.iter().find_map(|o| o.hovered),
        commands: outputs.into_iter().flat_map(|o| o.commands).collect(),
    }
}
