//! The File menu: open and save scenarios, export data and pictures, pick an image folder.
//! Each opens a small window with a path field and a folder browser (no native dialog needed);
//! the outcome (saved paths, or why not) shows in a banner. A bad file or folder never touches
//! the running session.

use super::{AppCommand, LabApp};
use crate::export;
use crate::scenario::Scenario;
use crate::train::Command;
use egui::{Color32, ColorImage, Rect, RichText, Ui};
use std::path::{Path, PathBuf};
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
        }
    }
}

/// What a requested screenshot is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Shot {
    Window,
    /// One plot: its name (for the file) and where it is on screen, in points.
    Plot(String, Rect),
}

/// The File menu's runtime state.
#[derive(Default)]
pub struct Files {
    pub open: Option<FileWindow>,
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
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            scenario: "scenario.toml".into(),
            export_dir: "contrastive-lab-exports".into(),
            image_folder: String::new(),
            csv_file: String::new(),
            run: "run.clr".into(),
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

/// The folder `path` points into: itself if it is a folder, else its parent ("." if none).
fn folder_of(path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_dir() {
        p.to_path_buf()
    } else {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty() && d.is_dir())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// A small folder browser under a path field: ".." and sub-folders navigate, files with the
/// `extension` (if any) are picked by a click.
fn browser(ui: &mut Ui, path: &mut String, extension: Option<&str>) {
    ui.add(egui::TextEdit::singleline(path).desired_width(f32::INFINITY));
    let dir = folder_of(path);
    let mut entries: Vec<(bool, PathBuf)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let hidden = p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.'));
                    let wanted = p.is_dir()
                        || extension.is_some_and(|x| p.extension().is_some_and(|e| e == x));
                    !hidden && wanted
                })
                .map(|p| (!p.is_dir(), p))
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    ui.label(RichText::new(format!("in {}", dir.display())).weak());
    egui::ScrollArea::vertical()
        .max_height(160.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            if ui.selectable_label(false, "[..] up").clicked() {
                let up = std::fs::canonicalize(&dir)
                    .ok()
                    .and_then(|d| d.parent().map(Path::to_path_buf))
                    .unwrap_or(dir.clone());
                *path = up.display().to_string();
            }
            for (is_file, p) in entries {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let label = if is_file { name } else { format!("[{name}]") };
                if ui.selectable_label(false, label).clicked() {
                    *path = p.display().to_string();
                }
            }
        });
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
                browser(ui, field, Some(extension));
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
            FileWindow::ImageFolder => {
                ui.label("One sub-folder per class (folder/cats/1.png, folder/dogs/2.jpg ...). Images are resized to 24 x 24; unreadable files are skipped and counted.");
                browser(ui, &mut app.state.paths.image_folder, None);
                if ui.button("Use this folder").clicked() {
                    out.push(AppCommand::TrainOn {
                        prefix: "folder:",
                        path: app.state.paths.image_folder.clone(),
                    });
                }
            }
            FileWindow::CsvFile => {
                ui.label("One sample per row: numeric columns and a label column (headed label, class, target or y; else the last column). Columns are standardised; malformed rows are skipped and counted.");
                browser(ui, &mut app.state.paths.csv_file, Some("csv"));
                if ui.button("Use this file").clicked() {
                    out.push(AppCommand::TrainOn {
                        prefix: "csv:",
                        path: app.state.paths.csv_file.clone(),
                    });
                }
            }
            FileWindow::Export => {
                ui.label("Into the folder:");
                browser(ui, &mut app.state.paths.export_dir, None);
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

/// The outcome of the last file action, until dismissed.
pub fn banner(ui: &mut Ui, app: &LabApp) -> Vec<AppCommand> {
    let mut out = Vec::new();
    let Some(message) = app.files.message.clone() else {
        return out;
    };
    let (fill, text) = match message {
        Ok(t) => (Color32::from_rgb(30, 70, 40), t),
        Err(t) => (Color32::from_rgb(90, 30, 30), t),
    };
    egui::Frame::new()
        .fill(fill)
        .inner_margin(6.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(text).color(Color32::WHITE));
                if ui.button("ok").clicked() {
                    out.push(AppCommand::DismissMessage);
                }
            });
        });
    out
}

/// A plot's context menu: "Save this plot as PNG" asks for a screenshot cropped to it.
pub fn save_plot_menu(response: &egui::Response, name: &str) -> Option<AppCommand> {
    let mut asked = None;
    response.context_menu(|ui| {
        if ui.button("Save this plot as PNG").clicked() {
            asked = Some(AppCommand::SavePlot {
                name: name.to_string(),
                rect: response.rect,
            });
            ui.close();
        }
    });
    asked
}

/// `image` cropped to `rect` (points) at `pixels_per_point`, clamped to the image.
pub fn crop(image: &ColorImage, rect: Rect, pixels_per_point: f32) -> ColorImage {
    let [w, h] = image.size;
    let x0 = ((rect.min.x * pixels_per_point).floor().max(0.0) as usize).min(w);
    let y0 = ((rect.min.y * pixels_per_point).floor().max(0.0) as usize).min(h);
    let x1 = ((rect.max.x * pixels_per_point).ceil().max(0.0) as usize).clamp(x0, w);
    let y1 = ((rect.max.y * pixels_per_point).ceil().max(0.0) as usize).clamp(y0, h);
    let pixels = (y0..y1)
        .flat_map(|y| image.pixels[y * w + x0..y * w + x1].iter().copied())
        .collect();
    ColorImage::new([x1 - x0, y1 - y0], pixels)
}

/// Write `image` as a PNG (atomically: temporary file, then rename).
pub fn save_png(image: &ColorImage, path: &Path) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    let buffer = image::RgbaImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| "the screenshot has no pixels".to_string())?;
    let tmp = path.with_extension("png.tmp");
    buffer
        .save_with_format(&tmp, image::ImageFormat::Png)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// File name friendly form of a plot title.
fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

impl LabApp {
    fn export_dir(&self) -> Result<PathBuf, String> {
        let dir = PathBuf::from(self.state.paths.export_dir.trim());
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(dir)
    }

    /// `<stem>-step<N>`: exports of different moments do not overwrite each other.
    fn export_stem(&self, stem: &str) -> String {
        format!("{stem}-step{}", self.status().step)
    }

    pub fn open_scenario(&mut self, path: &Path) -> Result<String, String> {
        let mut scenario = Scenario::load(path).map_err(|e| e.to_string())?;
        let changes = scenario.script.len();
        let compare = scenario.compare.take();
        self.end_comparison();
        let compared = match compare {
            Some(spec) => {
                let label = crate::cli::compare::difference_label(&spec.changes, spec.fork_at);
                self.compare_scenario(&scenario, spec)
                    .map_err(|e| format!("run B could not start: {e}"))?;
                format!(", compared with {label}")
            }
            None => {
                if let Some(a) = self.slots.first_mut() {
                    a.send(Command::Load(Box::new(scenario)));
                }
                String::new()
            }
        };
        Ok(format!(
            "opened {} ({changes} scripted change{}{compared})",
            path.display(),
            if changes == 1 { "" } else { "s" }
        ))
    }

    pub fn save_scenario(&mut self, path: &Path) -> Result<String, String> {
        let config = self.config().clone();
        let mut scenario =
            Scenario::from_run(&config, &self.status().events).map_err(|e| e.to_string())?;
        scenario.title = format!("{} on {}", config.method.title(), config.dataset);
        // In a comparison, the file says how B differs: opening it compares again.
        scenario.compare = self.comparison().map(|b| crate::scenario::CompareSpec {
            changes: b.changes.clone(),
            fork_at: b.fork_at,
        });
        scenario.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} ({} scripted change{})",
            path.display(),
            scenario.script.len(),
            if scenario.script.len() == 1 { "" } else { "s" }
        ))
    }

    pub fn export_embeddings(&mut self) -> Result<String, String> {
        let snap = self
            .published()
            .snapshot
            .clone()
            .ok_or("no snapshot to export yet")?;
        let probe = self
            .published()
            .probe
            .clone()
            .ok_or("the probe is not ready yet")?;
        let dir = self.export_dir()?;
        let stem = self.export_stem("embeddings");
        let vectors = dir.join(format!("{stem}.tsv"));
        let metadata = dir.join(format!("{stem}-metadata.tsv"));
        export::write_atomic(&vectors, &export::embeddings_tsv(&snap.z, snap.dim))
            .map_err(|e| e.to_string())?;
        let text = export::metadata_rows(
            &snap.labels,
            &probe.indices,
            probe.n_reference,
            &self.status().class_names,
        );
        export::write_atomic(&metadata, &text).map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} and {} (load both at projector.tensorflow.org)",
            vectors.display(),
            metadata.display()
        ))
    }

    pub fn export_metrics(&mut self) -> Result<String, String> {
        let method = self.config().method;
        let dir = self.export_dir()?;
        let metrics = dir.join(format!("{}.csv", self.export_stem("metrics")));
        let events = dir.join(format!("{}.csv", self.export_stem("events")));
        export::write_atomic(
            &metrics,
            &export::metrics_csv_rows(method, &self.history().to_vec()),
        )
        .map_err(|e| e.to_string())?;
        export::write_atomic(&events, &export::events_csv(&self.status().events))
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} and {}",
            metrics.display(),
            events.display()
        ))
    }

    /// The whole run as a recording file.
    pub fn save_recording(&mut self, path: &Path) -> Result<String, String> {
        let Some(p) = self.pipeline() else {
            return Err("no run to save".into());
        };
        let recording = p.recording().clone();
        let status = &self.published().status;
        let config = self.config().clone();
        let mut scenario =
            Scenario::from_run(&config, &status.events).map_err(|e| e.to_string())?;
        scenario.title = format!("{} on {}", config.method.title(), config.dataset);
        let probe = self.published().probe.clone();
        let run = crate::recorded::RecordedRun {
            scenario,
            events: status.events.clone(),
            class_names: status.class_names.clone(),
            probe_indices: probe
                .as_ref()
                .map(|p| p.indices.clone())
                .unwrap_or_default(),
            n_reference: probe.as_ref().map_or(0, |p| p.n_reference),
            recording,
        };
        run.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "saved {} ({} snapshots)",
            path.display(),
            run.recording.len()
        ))
    }

    /// The recorded run (or the timeline's loop range) as an animated GIF for slides.
    pub fn export_animation(&mut self) -> Result<String, String> {
        let dir = self.export_dir()?;
        let (from, to) = self.timeline.loop_range.unwrap_or((0, usize::MAX));
        let snapshots: Vec<Arc<crate::train::Snapshot>> = self
            .with_recording(|rec| {
                rec.snapshots()
                    .iter()
                    .filter(|s| (from..=to).contains(&s.step))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let (first, last) = match (snapshots.first(), snapshots.last()) {
            (Some(a), Some(b)) => (a.step, b.step),
            _ => return Err("nothing recorded yet".into()),
        };
        let path = dir.join(format!("animation-step{first}-{last}.gif"));
        let refs: Vec<&crate::train::Snapshot> = snapshots.iter().map(|s| &**s).collect();
        let frames = crate::render::animation::write_gif(&path, &refs, Default::default())
            .map_err(|e| e.to_string())?;
        Ok(format!("saved {} ({frames} frames)", path.display()))
    }

    /// Ask the renderer for the next frame's pixels; [`Self::receive_shot`] saves them.
    pub fn request_shot(&mut self, shot: Shot) {
        let slot = Arc::clone(&self.files.arrived);
        self.files.shot = Some(shot);
        let waker = self.window.ctx.clone();
        self.window.ctx.request_screenshot(move |image| {
            if let Ok(mut s) = slot.lock() {
                *s = Some(image);
            }
            waker.request_repaint();
        });
    }

    /// Save a screenshot that has arrived (whole window, or cropped to a plot).
    pub fn receive_shot(&mut self, pixels_per_point: f32) {
        let Some(image) = self.files.arrived.lock().ok().and_then(|mut s| s.take()) else {
            return;
        };
        let Some(shot) = self.files.shot.take() else {
            return;
        };
        let result = self.export_dir().and_then(|dir| {
            let (image, stem) = match &shot {
                Shot::Window => ((*image).clone(), self.export_stem("window")),
                Shot::Plot(name, rect) => (
                    crop(&image, *rect, pixels_per_point),
                    self.export_stem(&format!("plot-{}", slug(name))),
                ),
            };
            let path = dir.join(format!("{stem}.png"));
            save_png(&image, &path)?;
            Ok(format!(
                "saved {} ({} x {} pixels)",
                path.display(),
                image.size[0],
                image.size[1]
            ))
        });
        self.files.message = Some(result);
    }

    /// Open one of the File menu's windows (as its menu entry does).
    pub fn files_open(&mut self, window: FileWindow) {
        self.apply(AppCommand::OpenFileWindow(window));
    }
}

#[cfg(test)]
mod tests;
