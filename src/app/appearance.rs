//! How the window looks, for the room it is shown in (the View menu, saved with the app's
//! state): presenter mode (everything 1.6× larger for a projector at the back of a hall, the
//! advanced settings and plots folded, the lesson card as a banner), the colour-blind palette
//! with a marker shape per class, and a high-contrast theme.

use super::embedding::ViewState;
use crate::render::palette::ClassScheme;
use egui::{Color32, Stroke, Ui};

/// How much larger presenter mode draws everything: text, points and lines.
pub const PRESENT_ZOOM: f32 = 1.6;

/// The View menu.
pub fn menu(ui: &mut Ui, view: &mut ViewState) {
    ui.menu_button("View", |ui| {
        ui.checkbox(&mut view.present, "Present (projector)")
            .on_hover_text("everything 1.6× larger, for the back of a lecture hall: text, points and lines; the training settings and the secondary plots fold away");
        let mut shapes = view.class_scheme.shapes();
        if ui
            .checkbox(&mut shapes, "Colour-blind palette and shapes")
            .on_hover_text("class colours that eyes without red or green cones still tell apart (Okabe & Ito's), and a marker shape per class: no ten colours are safe for every eye")
            .changed()
        {
            view.class_scheme = if shapes {
                ClassScheme::ColourBlind
            } else {
                ClassScheme::Tableau
            };
        }
        ui.checkbox(&mut view.high_contrast, "High contrast")
            .on_hover_text("black panels, white text and stronger lines, for a washed-out projector");
    });
}

/// What was last set on the context, so that a zoom chosen with Ctrl +/- is only replaced
/// when presenter mode is switched.
#[derive(Default)]
pub struct Appearance {
    applied: Option<(bool, bool)>,
}

impl Appearance {
    /// Set the zoom and the theme `view` asks for, when they changed.
    pub fn apply(&mut self, ctx: &egui::Context, view: &ViewState) {
        let wanted = (view.present, view.high_contrast);
        if self.applied == Some(wanted) {
            return;
        }
        let (was_present, was_contrast) = self.applied.unwrap_or((false, false));
        // eframe restores the last session's zoom: presenter mode's, when the app was closed
        // in it, although the saved state (or --fresh) starts with it off.
        let left_by_presenter =
            self.applied.is_none() && (ctx.zoom_factor() - PRESENT_ZOOM).abs() < 1e-6;
        if view.present != was_present || (left_by_presenter && !view.present) {
            ctx.set_zoom_factor(if view.present { PRESENT_ZOOM } else { 1.0 });
        }
        if view.high_contrast != was_contrast {
            ctx.all_styles_mut(|style| {
                // The panels' own fill stays as the window set it (transparent with OpenGL,
                // where the clear colour paints it).
                let panel_fill = style.visuals.panel_fill;
                style.visuals = if view.high_contrast {
                    high_contrast()
                } else {
                    egui::Visuals::dark()
                };
                if panel_fill == Color32::TRANSPARENT {
                    style.visuals.panel_fill = Color32::TRANSPARENT;
                }
            });
        }
        self.applied = Some(wanted);
    }
}

/// The panels' colour: black in high contrast, else the theme's.
pub fn panel_colour(view: &ViewState, visuals: &egui::Visuals) -> Color32 {
    if view.high_contrast {
        Color32::BLACK
    } else if visuals.dark_mode {
        egui::Visuals::dark().panel_fill
    } else {
        egui::Visuals::light().panel_fill
    }
}

/// Black panels and windows, white text, strokes of 1.5 points.
fn high_contrast() -> egui::Visuals {
    let mut v = egui::Visuals::dark();
    v.override_text_color = Some(Color32::WHITE);
    v.panel_fill = Color32::BLACK;
    v.window_fill = Color32::BLACK;
    v.extreme_bg_color = Color32::BLACK;
    v.faint_bg_color = Color32::from_gray(24);
    v.window_stroke = Stroke::new(1.5, Color32::WHITE);
    for w in [
        &mut v.widgets.noninteractive,
        &mut v.widgets.inactive,
        &mut v.widgets.hovered,
        &mut v.widgets.active,
        &mut v.widgets.open,
    ] {
        w.fg_stroke = Stroke::new(1.5, Color32::WHITE);
        w.bg_stroke = Stroke::new(1.5, Color32::from_gray(200));
    }
    v.widgets.inactive.bg_fill = Color32::from_gray(40);
    v.widgets.inactive.weak_bg_fill = Color32::from_gray(40);
    v.selection.bg_fill = Color32::from_rgb(0, 90, 160);
    v.selection.stroke = Stroke::new(1.5, Color32::WHITE);
    v
}
