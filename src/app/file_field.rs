//! Where a File window's file comes from or goes to. Natively: a path field with a small folder
//! browser under it. In the browser, which reaches no disk: the browser's file picker (an Open
//! window, see [`crate::browser_files`]) or the name of a download (a Save window).

use egui::{RichText, Ui};
use std::path::{Path, PathBuf};

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
pub fn browser(ui: &mut Ui, path: &mut String, extension: Option<&str>) {
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

/// Where an Open window's file comes from: natively the path field and its folder browser; in
/// the browser, a button for the browser's file picker. `true`: that button was pressed (the
/// window asks for the picker; the file opens once picked, see `LabApp::file_picked`).
pub fn choose(ui: &mut Ui, path: &mut String, extension: Option<&str>) -> bool {
    if cfg!(target_arch = "wasm32") {
        let picked = path
            .strip_prefix(crate::browser_files::PREFIX)
            .unwrap_or("none yet");
        ui.label(RichText::new(format!("file: {picked}")).weak());
        let kind = extension.map_or("a file".to_string(), |x| format!("a .{x} file"));
        return ui.button(format!("Choose {kind}…")).clicked();
    }
    browser(ui, path, extension);
    false
}

/// Where a Save window writes: natively a path (with the folder browser); in the browser, a
/// download of this name.
pub fn destination(ui: &mut Ui, path: &mut String, extension: Option<&str>) {
    if cfg!(target_arch = "wasm32") {
        ui.label("Your browser downloads it as:");
        ui.add(egui::TextEdit::singleline(path).desired_width(f32::INFINITY));
        return;
    }
    browser(ui, path, extension);
}
