//! Animated GIFs of the embedding for slides: the sphere view of each snapshot (the same
//! fixed-scale projection the app opens on, oriented like the frame before so the picture does
//! not spin), the unit circle, a progress bar of the step, and optionally the spread curve
//! (std·√d) beside it up to that step. Drawn in software, so it needs no window or GPU.

use crate::error::{LabError, Result};
use crate::projection::sphere_2d;
use crate::render::palette::class_colour;
use crate::run::Snapshot;
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, Rgba, RgbaImage};
use std::path::Path;

/// Side of the embedding panel, pixels.
const SIDE: u32 = 360;
/// Width of the spread plot beside it.
const PLOT: u32 = 240;
/// Frames at most (more snapshots are subsampled evenly).
pub const MAX_FRAMES: usize = 240;
const BACKGROUND: Rgba<u8> = Rgba([24, 24, 28, 255]);

/// What to animate.
#[derive(Clone, Copy, Debug)]
pub struct AnimationOptions {
    /// Draw the spread curve beside the embedding.
    pub with_plot: bool,
    /// Milliseconds each frame shows.
    pub frame_ms: u32,
}

impl Default for AnimationOptions {
    fn default() -> Self {
        Self {
            with_plot: true,
            frame_ms: 80,
        }
    }
}

/// The snapshots a GIF shows: all of them, or [`MAX_FRAMES`] evenly spaced (first and last
/// included).
pub fn frame_snapshots<'a>(snapshots: &[&'a Snapshot]) -> Vec<&'a Snapshot> {
    let n = snapshots.len();
    if n <= MAX_FRAMES {
        return snapshots.to_vec();
    }
    (0..MAX_FRAMES)
        .map(|i| snapshots[i * (n - 1) / (MAX_FRAMES - 1)])
        .collect()
}

/// Write `snapshots` (oldest first) as an animated GIF at `path` (atomically); returns the
/// number of frames.
pub fn write_gif(path: &Path, snapshots: &[&Snapshot], options: AnimationOptions) -> Result<usize> {
    let frames = frame_snapshots(snapshots);
    if frames.is_empty() {
        return Err(LabError::invalid(
            "animation",
            path.display(),
            "there are no snapshots to animate",
        ));
    }
    let first_step = frames.first().map_or(0, |s| s.step);
    let last_step = frames.last().map_or(0, |s| s.step).max(first_step + 1);
    let spreads: Vec<(usize, f64)> = frames
        .iter()
        .map(|s| (s.step, s.diagnostics.spread()))
        .collect();
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut bytes, 10);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|e| LabError::invalid("animation", path.display(), e.to_string()))?;
        let mut previous = None;
        for (k, snap) in frames.iter().enumerate() {
            let n = snap.labels.len();
            let layout = sphere_2d(&snap.z, n, snap.dim, previous.as_ref()).ok();
            let mut image = blank(options.with_plot);
            draw_circle(&mut image);
            if let Some(l) = &layout {
                for (p, &label) in l.points.iter().zip(&snap.labels) {
                    let c = class_colour(label).to_srgba_unmultiplied();
                    dot(&mut image, to_pixel(*p), Rgba(c));
                }
            }
            let progress = (snap.step - first_step) as f32 / (last_step - first_step) as f32;
            bar(&mut image, progress);
            if options.with_plot {
                spread_plot(&mut image, &spreads[..=k], (first_step, last_step));
            }
            if layout.is_some() {
                previous = layout;
            }
            let delay = Delay::from_numer_denom_ms(options.frame_ms.max(10), 1);
            encoder
                .encode_frame(Frame::from_parts(image, 0, 0, delay))
                .map_err(|e| LabError::invalid("animation", path.display(), e.to_string()))?;
        }
    }
    crate::export::write_atomic_bytes(path, &bytes)?;
    Ok(frames.len())
}

fn blank(with_plot: bool) -> RgbaImage {
    let width = SIDE + if with_plot { PLOT } else { 0 };
    RgbaImage::from_pixel(width, SIDE + 12, BACKGROUND)
}

/// A point of the view's [−1.1, 1.1]² square in pixels.
fn to_pixel(p: [f32; 2]) -> (f32, f32) {
    let s = SIDE as f32 / 2.2;
    (SIDE as f32 / 2.0 + s * p[0], SIDE as f32 / 2.0 - s * p[1])
}

fn put(image: &mut RgbaImage, x: i64, y: i64, c: Rgba<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < image.width() && (y as u32) < image.height() {
        image.put_pixel(x as u32, y as u32, c);
    }
}

fn dot(image: &mut RgbaImage, (cx, cy): (f32, f32), c: Rgba<u8>) {
    for dy in -2i64..=2 {
        for dx in -2i64..=2 {
            if dx * dx + dy * dy <= 5 {
                put(image, cx as i64 + dx, cy as i64 + dy, c);
            }
        }
    }
}

fn draw_circle(image: &mut RgbaImage) {
    let grey = Rgba([140, 140, 140, 255]);
    for i in 0..720 {
        let a = i as f32 / 720.0 * std::f32::consts::TAU;
        let (x, y) = to_pixel([a.cos(), a.sin()]);
        put(image, x as i64, y as i64, grey);
    }
}

/// How far through the animated range this frame is.
fn bar(image: &mut RgbaImage, progress: f32) {
    let y0 = SIDE as i64 + 3;
    let filled = (progress.clamp(0.0, 1.0) * image.width() as f32) as i64;
    for y in y0..y0 + 6 {
        for x in 0..image.width() as i64 {
            let c = if x <= filled {
                Rgba([120, 200, 120, 255])
            } else {
                Rgba([60, 60, 60, 255])
            };
            put(image, x, y, c);
        }
    }
}

/// std·√d from the first frame to this one, on [0, 1.05] over the animated steps.
fn spread_plot(image: &mut RgbaImage, spreads: &[(usize, f64)], (first, last): (usize, usize)) {
    let (x0, w, h) = (SIDE as f32 + 10.0, PLOT as f32 - 20.0, SIDE as f32 - 40.0);
    let axis = Rgba([90, 90, 90, 255]);
    let to = |step: usize, v: f64| -> (f32, f32) {
        let fx = (step - first) as f32 / (last - first).max(1) as f32;
        let fy = (v.clamp(0.0, 1.05) / 1.05) as f32;
        (x0 + fx * w, 20.0 + (1.0 - fy) * h)
    };
    for (a, b) in [((first, 0.0), (last, 0.0)), ((first, 0.0), (first, 1.05))] {
        line(image, to(a.0, a.1), to(b.0, b.1), axis);
    }
    let green = Rgba([140, 230, 140, 255]);
    for w in spreads.windows(2) {
        line(image, to(w[0].0, w[0].1), to(w[1].0, w[1].1), green);
    }
    if let Some(&(s, v)) = spreads.last() {
        dot(image, to(s, v), Rgba([255, 215, 0, 255]));
    }
}

fn line(image: &mut RgbaImage, a: (f32, f32), b: (f32, f32), c: Rgba<u8>) {
    let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as i64;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        put(image, x as i64, y as i64, c);
    }
}
