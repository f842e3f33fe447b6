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
                    // A run being recovered is shown at the step it is recovered to (the
                    // replay's progress is on the right).
                    ui.label(format!("step {}", s.recovering.unwrap_or(s.step)));
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
            ui.label(match s.recovering {
                Some(target) => {
                    format!("recovering the run: replaying step {} of {target}", s.step)
                }
                None if s.paused => "paused".into(),
                None => "training".into(),
            });
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
        // The data set's own warning stays while it holds; a notice can be dismissed.
        let dismiss = app.notice.is_some().then_some(AppCommand::DismissNotice);
        out.extend(message_bar(ui, WARNING, &warning, "dismiss", dismiss));
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
    out.extend(message_bar(
        ui,
        FAILURE,
        &message,
        "dismiss",
        Some(AppCommand::ClearError),
    ));
    out
}

/// A bar's colour for what went wrong, for what went right, and for a warning.
pub const FAILURE: Color32 = Color32::from_rgb(90, 30, 30);
pub const SUCCESS: Color32 = Color32::from_rgb(30, 70, 40);
const WARNING: Color32 = Color32::from_rgb(90, 75, 20);

/// A full-width bar with `text` in white on `fill`, and a `button` that gives `command` (no
/// button without a command).
pub fn message_bar(
    ui: &mut Ui,
    fill: Color32,
    text: &str,
    button: &str,
    command: Option<AppCommand>,
) -> Option<AppCommand> {
    let mut clicked = None;
    egui::Frame::new()
        .fill(fill)
        .inner_margin(6.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(text).color(Color32::WHITE));
                if let Some(command) = command
                    && ui.button(button).clicked()
                {
                    clicked = Some(command);
                }
            });
        });
    clicked
}
