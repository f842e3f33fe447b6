//! The File menu: open and save scenarios, export data and pictures, pick an image folder.
//! Each opens a small window with a path field and a folder browser (no native dialog needed);
//! the outcome (saved paths, or why not) shows in a banner. A bad file or folder never touches
//! the running session.

use super::file_field::{browser, choose, destination};
use super::{AppCommand, LabApp, status};
use egui::{ColorImage, RichText, Ui};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Which window of the File menu is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileWindow {
    OpenScenario,
    SaveScenario,
    OpenRun,
    SaveRun,
    ImageFolder,
    CsvFile,
    Export,
    OpenLesson,
    SaveLesson,
}

impl FileWindow {
    fn title(self) -> &'static str {
        match self {
            Self::OpenScenario => "Open scenario",
            Self::SaveScenario => "Save scenario",
            Self::OpenRun => "Open run",
            Self::SaveRun => "Save run",
            Self::ImageFolder => "Train on an image folder",
            Self::CsvFile => "Train on a CSV",
            Self::Export => "Export",
            Self::OpenLesson => "Open lesson",
            Self::SaveLesson => "Save this as a lesson",
        }
    }
}

/// The File menu's runtime state.
#[derive(Default)]
pub struct Files {
    pub open: Option<FileWindow>,
    /// The window the browser's file picker was opened for (its file is on its way).
    pub picking: Option<FileWindow>,
    /// The outcome of the last file action: `Ok(what was written)` or `Err(why not)`.
    pub message: Option<Result<String, String>>,
    /// A screenshot on its way from the renderer, and what it is for.
    shot: Option<Shot>,
    arrived: Arc<Mutex<Option<Arc<ColorImage>>>>,
}

/// Persisted paths of the File menu's windows.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Paths {
    pub scenario: String,
    pub export_dir: String,
    pub image_folder: String,
    /// A CSV of vectors (File → Train on a CSV).
    pub csv_file: String,
    /// A recorded run (File → Save run / Open run).
    pub run: String,
    /// A lesson file (File → Open lesson, Lessons → Save this as a lesson).
    pub lesson: String,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            scenario: "scenario.toml".into(),
            export_dir: "contrastive-lab-exports".into(),
            image_folder: String::new(),
            csv_file: String::new(),
            run: "run.clr".into(),
            lesson: "lesson.toml".into(),
        }
    }
}

/// The File menu: each entry opens its window; with a recording open, the way back.
pub fn menu(ui: &mut Ui, recording_open: bool) -> Vec<AppCommand> {
    let mut out = Vec::new();
    ui.menu_button("File", |ui| {
        for w in [
            FileWindow::OpenScenario,
            FileWindow::SaveScenario,
            FileWindow::OpenLesson,
            FileWindow::OpenRun,
            FileWindow::SaveRun,
            FileWindow::ImageFolder,
            FileWindow::CsvFile,
            FileWindow::Export,
        ] {
            if ui.button(format!("{}...", w.title())).clicked() {
                out.push(AppCommand::OpenFileWindow(w));
                ui.close();
            }
        }
        if recording_open
            && ui
                .button("Close the recording (back to training)")
                .clicked()
        {
            out.push(AppCommand::CloseRecording);
            ui.close();
        }
    });
    out
}

/// The open File window, if any.
pub fn windows(ctx: &egui::Context, app: &mut LabApp) -> Vec<AppCommand> {
    let mut out = Vec::new();
    let Some(which) = app.files.open else {
        return out;
    };
    let mut open = true;
    egui::Window::new(which.title())
        .open(&mut open)
        .collapsible(false)
        .default_width(420.0)
        .show(ctx, |ui| match which {
            FileWindow::OpenScenario | FileWindow::OpenRun | FileWindow::SaveScenario | FileWindow::SaveRun => {
                let opens = matches!(which, FileWindow::OpenScenario | FileWindow::OpenRun);
                let scenario = matches!(which, FileWindow::OpenScenario | FileWindow::SaveScenario);
                ui.label(match which {
                    FileWindow::OpenScenario => "A scenario (.toml): a config, its seed and a script of timed changes. A run's config.toml opens too.",
                    FileWindow::SaveScenario => "Saves this run's starting config and every change made so far as a script: opening the file replays the run.",
                    FileWindow::OpenRun => "A recorded run (.clr, from File → Save run or `run --record`): scrub and replay it on the timeline without training.",
                    _ => "Saves the whole run: every recorded snapshot, its events and start, to scrub in class without training.",
                });
                let (field, extension) = if scenario {
                    (&mut app.state.paths.scenario, "toml")
                } else {
                    (&mut app.state.paths.run, "clr")
                };
                if opens {
                    if choose(ui, field, Some(extension)) {
                        out.push(AppCommand::PickFile(which));
                    }
                } else {
                    destination(ui, field, Some(extension));
                }
                let path = PathBuf::from(field.as_str());
                if ui.button(if opens { "Open" } else { "Save" }).clicked() {
                    out.push(match which {
                        FileWindow::OpenScenario => AppCommand::OpenScenario(path),
                        FileWindow::SaveScenario => AppCommand::SaveScenario(path),
                        FileWindow::OpenRun => AppCommand::OpenRun(path),
                        _ => AppCommand::SaveRun(path),
                    });
                }
            }
            FileWindow::OpenLesson => {
                ui.label("A lesson file (.toml, docs/lessons.md): the run it starts, its card and question, what it must show. It is listed in the Lessons menu once open.");
                if choose(ui, &mut app.state.paths.lesson, Some("toml")) {
                    out.push(AppCommand::PickFile(which));
                }
                if ui.button("Open").clicked() {
                    out.push(AppCommand::OpenLesson(PathBuf::from(&app.state.paths.lesson)));
                }
            }
            FileWindow::SaveLesson => out.extend(super::lesson_draft::window(ui, app)),
            FileWindow::ImageFolder if cfg!(target_arch = "wasm32") => {
                ui.label("A page cannot read a folder of your disk, so the browser lab trains on the built-in data sets and on a CSV of vectors (File → Train on a CSV). The desktop app trains on a folder of images.");
            }
            FileWindow::ImageFolder => out.extend(train_on(
                ui,
                "One sub-folder per class (folder/cats/1.png, folder/dogs/2.jpg ...). Images are resized to 24 x 24; unreadable files are skipped and counted.",
                &mut app.state.paths.image_folder,
                (None, "Use this folder", "folder:"),
                which,
            )),
            FileWindow::CsvFile => out.extend(train_on(
                ui,
                "One sample per row: numeric columns and a label column (headed label, class, target or y; else the last column). Columns are standardised; malformed rows are skipped and counted.",
                &mut app.state.paths.csv_file,
                (Some("csv"), "Use this file", "csv:"),
                which,
            )),
            FileWindow::Export => {
                if cfg!(target_arch = "wasm32") {
                    ui.label("Each export is a file your browser downloads:");
                } else {
                    ui.label("Into the folder:");
                    browser(ui, &mut app.state.paths.export_dir, None);
                }
                ui.horizontal_wrapped(|ui| {
                    if ui.button("Embeddings (Projector TSV)").clicked() {
                        out.push(AppCommand::ExportEmbeddings);
                    }
                    if ui.button("Metrics + events (CSV)").clicked() {
                        out.push(AppCommand::ExportMetrics);
                    }
                    if ui.button("Whole window (PNG)").clicked() {
                        out.push(AppCommand::ExportWindow);
                    }
                    if ui
                        .button("Animation (GIF)")
                        .on_hover_text("the sphere view over the recorded steps (the timeline's loop range when it is set), with the spread curve beside it")
                        .clicked()
                    {
                        out.push(AppCommand::ExportAnimation);
                    }
                    if ui
                        .button("Web page (HTML)")
                        .on_hover_text("the recorded run (a comparison's both runs, a sweep's every run) as one page that replays it in any browser, offline: for students without the app")
                        .clicked()
                    {
                        out.push(AppCommand::ExportWebPage);
                    }
                });
                ui.label(
                    RichText::new("A single plot: right-click it, \"Save this plot as PNG\".")
                        .weak(),
                );
            }
        });
    if !open {
        out.push(AppCommand::CloseFileWindow);
    }
    out
}

/// A window that picks data to train on: what the data must look like, the browser, and the
/// button that trains on `prefix` + the chosen path.
fn train_on(
    ui: &mut Ui,
    help: &str,
    path: &mut String,
    (extension, button, prefix): (Option<&str>, &str, &'static str),
    which: FileWindow,
) -> Vec<AppCommand> {
    ui.label(help);
    let mut out = Vec::new();
    if choose(ui, path, extension) {
        out.push(AppCommand::PickFile(which));
    }
    if ui.button(button).clicked() {
        out.push(AppCommand::TrainOn {
            prefix,
            path: path.clone(),
        });
    }
    out
}

impl LabApp {
    /// A file arrived from the browser's picker (at `path`, see [`crate::browser_files`]) for
    /// the window that asked: its field shows it and the window's action opens it.
    pub(super) fn file_picked(&mut self, which: FileWindow, path: PathBuf) -> Option<AppCommand> {
        let text = path.display().to_string();
        let paths = &mut self.state.paths;
        match which {
            FileWindow::OpenScenario => {
                paths.scenario = text;
                Some(AppCommand::OpenScenario(path))
            }
            FileWindow::OpenRun => {
                paths.run = text;
                Some(AppCommand::OpenRun(path))
            }
            FileWindow::OpenLesson => {
                paths.lesson = text;
                Some(AppCommand::OpenLesson(path))
            }
            FileWindow::CsvFile => {
                paths.csv_file = text.clone();
                Some(AppCommand::TrainOn {
                    prefix: "csv:",
                    path: text,
                })
            }
            FileWindow::ImageFolder
            | FileWindow::SaveScenario
            | FileWindow::SaveRun
            | FileWindow::Export
            | FileWindow::SaveLesson => None,
        }
    }
}

/// The extension the picker offers for `which`.
pub fn picked_extension(which: FileWindow) -> Option<&'static str> {
    match which {
        FileWindow::OpenScenario | FileWindow::OpenLesson => Some("toml"),
        FileWindow::OpenRun => Some("clr"),
        FileWindow::CsvFile => Some("csv"),
        _ => None,
    }
}

/// The outcome of the last file action, until dismissed.
pub fn banner(ui: &mut Ui, app: &LabApp) -> Vec<AppCommand> {
    let mut out = Vec::new();
    let Some(message) = app.files.message.clone() else {
        return out;
    };
    let (fill, text) = match message {
        Ok(t) => (status::SUCCESS, t),
        Err(t) => (status::FAILURE, t),
    };
    out.extend(status::message_bar(
        ui,
        fill,
        &text,
        "ok",
        Some(AppCommand::DismissMessage),
    ));
    out
}

impl LabApp {
    /// Open one of the File menu's windows (as its menu entry does).
    pub fn files_open(&mut self, window: FileWindow) {
        self.apply(AppCommand::OpenFileWindow(window));
    }
}

mod save;
mod shot;

pub use shot::{Shot, crop, save_plot_menu, save_png};

#[cfg(test)]
mod tests;
