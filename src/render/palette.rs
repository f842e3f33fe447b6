//! The class colours, shared by the app's views and the point renderer's benchmark, and the two
//! colour ramps of the heatmaps and the sample cells.

use egui::Color32;

/// Tableau 10: distinct, colour-blind-friendly class colours.
pub const PALETTE: [Color32; 10] = [
    Color32::from_rgb(78, 121, 167),
    Color32::from_rgb(242, 142, 43),
    Color32::from_rgb(225, 87, 89),
    Color32::from_rgb(118, 183, 178),
    Color32::from_rgb(89, 161, 79),
    Color32::from_rgb(237, 201, 72),
    Color32::from_rgb(176, 122, 161),
    Color32::from_rgb(255, 157, 167),
    Color32::from_rgb(156, 117, 95),
    Color32::from_rgb(186, 176, 172),
];

/// The colour of class `label` (the palette repeats after ten classes).
pub fn class_colour(label: usize) -> Color32 {
    PALETTE[label % PALETTE.len()]
}

/// −1 blue … 0 near-black … +1 red.
pub fn diverging(v: f32) -> Color32 {
    let v = v.clamp(-1.0, 1.0);
    let (r, g, b) = if v >= 0.0 {
        (40.0 + 215.0 * v, 40.0 + 60.0 * v, 40.0)
    } else {
        (40.0, 40.0 - 10.0 * v, 40.0 - 215.0 * v)
    };
    Color32::from_rgb(r as u8, g as u8, b as u8)
}

/// 0 black … 1 yellow, with a square-root ramp so small probabilities stay visible.
pub fn sequential(p: f32) -> Color32 {
    let t = p.clamp(0.0, 1.0).sqrt();
    Color32::from_rgb(
        (255.0 * t) as u8,
        (220.0 * t) as u8,
        (60.0 * (1.0 - t)) as u8,
    )
}
