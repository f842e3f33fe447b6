//! The augmentation preview: one probe sample and eight of its views at the current
//! augmentation strength: what "the same thing" means to the method.

use crate::data::InputKind;
use crate::train::AugmentationPreview;
use egui::{Color32, Rect, Sense, Ui, pos2, vec2};

/// Draw one flattened sample in a `size`×`size` square.
pub fn draw_sample(ui: &mut Ui, input: InputKind, data: &[f32], size: f32) {
    let (response, painter) = ui.allocate_painter(vec2(size, size), Sense::hover());
    let origin = response.rect.min;
    match input {
        InputKind::Image {
            channels,
            height,
            width,
        } => {
            let plane = height * width;
            let (cw, ch) = (size / width as f32, size / height as f32);
            for y in 0..height {
                for x in 0..width {
                    let px = |c: usize| {
                        (data
                            .get(c * plane + y * width + x)
                            .copied()
                            .unwrap_or(0.0)
                            .clamp(0.0, 1.0)
                            * 255.0) as u8
                    };
                    let colour = if channels >= 3 {
                        Color32::from_rgb(px(0), px(1), px(2))
                    } else {
                        Color32::from_gray(px(0))
                    };
                    let min = origin + vec2(x as f32 * cw, y as f32 * ch);
                    painter.rect_filled(Rect::from_min_size(min, vec2(cw, ch)), 0.0, colour);
                }
            }
        }
        InputKind::Vector { dim } => {
            // A vector in rows of 8 cells (blobs: the top row is the signal): red positive,
            // blue negative.
            let cols = if dim % 8 == 0 {
                8
            } else {
                (dim as f32).sqrt().ceil() as usize
            };
            let rows = dim.div_ceil(cols.max(1));
            let (cw, ch) = (size / cols.max(1) as f32, size / rows.max(1) as f32);
            for (i, &v) in data.iter().enumerate().take(dim) {
                let colour = crate::render::palette::diverging(v / 3.0);
                let min = pos2(
                    origin.x + (i % cols) as f32 * cw,
                    origin.y + (i / cols) as f32 * ch,
                );
                painter.rect_filled(
                    Rect::from_min_size(min, vec2(cw - 1.0, ch - 1.0)),
                    0.0,
                    colour,
                );
            }
        }
    }
}

pub fn view(ui: &mut Ui, run: &super::RunFrame) {
    let Some(p): Option<std::sync::Arc<AugmentationPreview>> = run.published.preview.clone() else {
        return;
    };
    ui.label(format!(
        "Augmentation preview: a \"{}\" sample (left) and {} views at strength {:.2}: the method must map them all to the same place.",
        p.label,
        p.views.len(),
        p.strength
    ));
    if matches!(p.input, InputKind::Vector { .. }) {
        ui.label("(a vector in rows of 8 cells; for blobs the top row carries the class and the rest is nuisance the views resample)");
    }
    let size = 44.0;
    ui.horizontal_wrapped(|ui| {
        draw_sample(ui, p.input, &p.base, size);
        ui.add_space(12.0);
        for v in &p.views {
            draw_sample(ui, p.input, v, size);
        }
    });
}
