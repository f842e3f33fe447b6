//! Pictures of the window: the whole window or one plot (its context menu), cropped at the
//! pixel scale and saved as PNG.

use crate::app::{AppCommand, LabApp};
use egui::{ColorImage, Rect};
use std::path::Path;
use std::sync::Arc;

/// What a requested screenshot is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Shot {
    Window,
    /// One plot: its name (for the file) and where it is on screen, in points.
    Plot(String, Rect),
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

/// Write `image` as a PNG (atomically: temporary file, then rename; in the browser, a
/// download).
pub fn save_png(image: &ColorImage, path: &Path) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    let buffer = image::RgbaImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| "the screenshot has no pixels".to_string())?;
    let mut png = std::io::Cursor::new(Vec::new());
    buffer
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    crate::export::write_atomic_bytes(path, png.get_ref()).map_err(|e| e.to_string())
}

/// File name friendly form of a plot title.
pub(super) fn slug(name: &str) -> String {
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
}
