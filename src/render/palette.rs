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

/// For colour-blind eyes and washed-out projectors: Okabe & Ito's seven colours, white, light
/// grey and Paul Tol's light blue, chosen so that no two are closer than CIEDE2000 ΔE 10 for
/// normal vision or under simulated deuteranopia, protanopia or tritanopia (Machado et al.
/// 2009, tested); no ten colours are safe for every eye, so each class also has its own marker
/// shape ([`SHAPES`]).
pub const COLOUR_BLIND: [Color32; 10] = [
    Color32::from_rgb(0xE6, 0x9F, 0x00),
    Color32::from_rgb(0x56, 0xB4, 0xE9),
    Color32::from_rgb(0x00, 0x9E, 0x73),
    Color32::from_rgb(0xF0, 0xE4, 0x42),
    Color32::from_rgb(0x00, 0x72, 0xB2),
    Color32::from_rgb(0xD5, 0x5E, 0x00),
    Color32::from_rgb(0xCC, 0x79, 0xA7),
    Color32::from_rgb(0xFF, 0xFF, 0xFF),
    Color32::from_rgb(0xBB, 0xBB, 0xBB),
    Color32::from_rgb(0x99, 0xDD, 0xFF),
];

/// A marker shape per class, and the glyph the legend shows for it.
pub const SHAPES: [(egui_plot::MarkerShape, &str); 10] = [
    (egui_plot::MarkerShape::Circle, "●"),
    (egui_plot::MarkerShape::Square, "■"),
    (egui_plot::MarkerShape::Diamond, "◆"),
    (egui_plot::MarkerShape::Up, "▲"),
    (egui_plot::MarkerShape::Down, "▼"),
    (egui_plot::MarkerShape::Cross, "✕"),
    (egui_plot::MarkerShape::Plus, "✚"),
    (egui_plot::MarkerShape::Asterisk, "✱"),
    (egui_plot::MarkerShape::Left, "◀"),
    (egui_plot::MarkerShape::Right, "▶"),
];

/// How classes are told apart: by colour alone (Tableau 10, the default), or by the
/// colour-blind-safe colours and a marker shape each (View → Colour-blind palette and shapes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClassScheme {
    #[default]
    Tableau,
    ColourBlind,
}

impl ClassScheme {
    /// The colour of class `label`.
    pub fn colour(self, label: usize) -> Color32 {
        match self {
            Self::Tableau => class_colour(label),
            Self::ColourBlind => COLOUR_BLIND[label % COLOUR_BLIND.len()],
        }
    }

    /// The marker shape of class `label` and its legend glyph: a circle for every class unless
    /// shapes are on.
    pub fn shape(self, label: usize) -> (egui_plot::MarkerShape, &'static str) {
        match self {
            Self::Tableau => SHAPES[0],
            Self::ColourBlind => SHAPES[label % SHAPES.len()],
        }
    }

    /// Whether classes differ in shape too (the WGSL renderer draws discs only).
    pub fn shapes(self) -> bool {
        self == Self::ColourBlind
    }
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

/// The colour of value `index` of `count` swept values: along viridis from its darkest readable
/// purple (on a dark background) to yellow.
pub fn sweep_colour(index: usize, count: usize) -> Color32 {
    let t = index as f32 / (count.max(2) - 1) as f32;
    value_colour(0.15 + 0.85 * t)
}

/// Viridis, 0 dark purple … 1 yellow: a sweep's values along one scale, in order and readable
/// where a colour-blind eye cannot tell red from green (five stops of matplotlib's viridis,
/// interpolated).
pub fn value_colour(t: f32) -> Color32 {
    const STOPS: [[f32; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let x = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let c = |k: usize| STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f;
    Color32::from_rgb(c(0) as u8, c(1) as u8, c(2) as u8)
}
