//! Status bar (step, steps/s, frames/s, training device) and the error banner.

use super::{AppCommand, LabApp};
use egui::{Color32, RichText, Ui};

pub fn status_bar(ui: &mut Ui, app: &LabApp) {
    egui::Panel::bottom("status").show(ui, |ui| {
        ui.horizontal(|ui| {
            let s = app.status();
            // Fixed-width cells: live rates do not shift what follows them.
            let cell = |ui: &mut Ui, text: String| {
                ui.add_sized([82.0, ui.available_height()], egui::Label::new(text));
            };
            match app.comparison().zip(app.run_b()) {
                None => {
                    ui.label(format!("step {}", s.step));
                    ui.separator();
                    cell(ui, format!("{:.0} steps/s", s.steps_per_s));
                }
                Some((b, run_b)) => {
                    let sb = run_b.status();
                    ui.label(format!("A: step {}", s.step));
                    cell(ui, format!("{:.0} steps/s", s.steps_per_s));
                    ui.separator();
                    ui.label(format!("B: step {}", sb.step));
                    cell(ui, format!("{:.0} steps/s", sb.steps_per_s));
                    ui.label(if b.lockstep.0.is_free() {
                        "(running free)"
                    } else {
                        "(lockstep)"
                    });
                }
            }
            ui.separator();
            cell(ui, format!("{:.0} frames/s", app.frames_per_second()));
            ui.separator();
            ui.label(format!(
                "training on {}",
                if s.device.is_empty() {
                    "…"
                } else {
                    &s.device
                }
            ));
            ui.separator();
            ui.label(if s.paused { "paused" } else { "training" });
        });
    });
}

pub fn banner(ui: &mut Ui, app: &LabApp) -> Vec<AppCommand> {
    let mut out = Vec::new();
    let warning = app
        .notice
        .clone()
        .or_else(|| app.status().data_warning.clone());
    if let Some(warning) = warning {
        egui::Frame::new()
            .fill(Color32::from_rgb(90, 75, 20))
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(warning).color(Color32::WHITE));
                    if app.notice.is_some() && ui.button("dismiss").clicked() {
                        out.push(AppCommand::DismissNotice);
                    }
                });
            });
    }
    let message = app
        .startup_error
        .clone()
        .map(|e| format!("The trainer could not start: {e}"))
        .or_else(|| {
            app.status().incident.as_ref().map(|i| {
                format!("Training paused at {i}. Lower the learning rate, then press Play.")
            })
        })
        .or_else(|| app.status().error.clone());
    let Some(message) = message else {
        return out;
    };
    egui::Frame::new()
        .fill(Color32::from_rgb(90, 30, 30))
        .inner_margin(6.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(message).color(Color32::WHITE));
                if ui.button("dismiss").clicked() {
                    out.push(AppCommand::ClearError);
                }
            });
        });
    out
}
