//! `shapes`: procedurally rendered small RGB images of six shape classes with random position,
//! size, rotation, colours and background. The class is the shape; colour, size and position
//! are nuisance for SimCLR-style methods (colour jitter and grayscale remove the colour
//! shortcut), and are what the captions of the paired set describe for CLIP.

use super::augment::{self, Image};
use super::{InputKind, Prompt, Source};
use crate::rng::Rng;

pub const SIZE: usize = 16;
pub const SAMPLES: usize = 3000;
const SUPERSAMPLE: usize = 3;

pub const SHAPES: [&str; 6] = ["circle", "square", "triangle", "cross", "ring", "star"];
pub const COLOURS: [&str; 6] = ["red", "yellow", "green", "cyan", "blue", "magenta"];
pub const SIZES: [&str; 2] = ["small", "large"];
pub const HPOS: [&str; 3] = ["left", "centre", "right"];
pub const VPOS: [&str; 3] = ["top", "middle", "bottom"];

/// Caption slots, each a one-hot block: the text encoder sees `[size | colour | shape | h | v]`.
const SLOTS: [&[&str]; 5] = [&SIZES, &COLOURS, &SHAPES, &HPOS, &VPOS];
/// Which slot names the shape (the class).
const SHAPE_SLOT: usize = 2;

/// A shape's colour is random, so colour is pure nuisance here: hue is randomised over the whole
/// circle and grayscale is frequent. With SimCLR's milder ImageNet recipe, colour stays an
/// instance cue and suppresses the shape.
pub const SHAPES_COLOUR: augment::ColourRecipe = augment::ColourRecipe {
    hue: 0.5,
    grayscale: 0.5,
};

pub fn caption_dim() -> usize {
    SLOTS.iter().map(|s| s.len()).sum()
}

/// The random parameters of one rendered sample.
#[derive(Clone, Copy, Debug)]
pub struct ShapeSpec {
    pub shape: usize,
    pub colour: usize,
    /// Radius as a fraction of the image side.
    pub radius: f32,
    pub cx: f32,
    pub cy: f32,
    pub angle: f32,
}

/// Where shapes are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Large shapes near the centre. Instance discrimination latches on to whatever survives
    /// both views (feature suppression, Chen et al. 2021): with free size and position those win
    /// over the shape, and kNN accuracy on shape barely moves. Near-centred shapes leave shape
    /// as the cue.
    Centred,
    /// Anywhere, any size: the paired set's captions name size and position.
    Anywhere,
}

impl ShapeSpec {
    pub fn random(rng: &mut Rng, shape: usize, layout: Layout) -> Self {
        let (radius, cx, cy) = match layout {
            Layout::Centred => (
                rng.range(0.30, 0.42),
                rng.range(0.42, 0.58),
                rng.range(0.42, 0.58),
            ),
            Layout::Anywhere => {
                let r = rng.range(0.22, 0.42);
                (r, rng.range(r, 1.0 - r), rng.range(r, 1.0 - r))
            }
        };
        Self {
            shape,
            colour: rng.below(COLOURS.len()),
            radius,
            cx,
            cy,
            angle: rng.range(0.0, std::f32::consts::TAU),
        }
    }

    /// Word indices per caption slot.
    pub fn words(&self) -> [usize; 5] {
        let pos = |p: f32| {
            if p < 0.4 {
                0
            } else if p > 0.6 {
                2
            } else {
                1
            }
        };
        [
            usize::from(self.radius >= 0.32),
            self.colour,
            self.shape,
            pos(self.cx),
            pos(self.cy),
        ]
    }

    pub fn caption(&self) -> String {
        let w = self.words();
        SLOTS
            .iter()
            .zip(w)
            .map(|(slot, i)| slot[i])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Is the shape-local point (u, v) in [-1, 1]² inside shape `shape`?
fn inside(shape: usize, u: f32, v: f32) -> bool {
    match shape {
        0 => u * u + v * v <= 1.0,
        1 => u.abs().max(v.abs()) <= 0.8,
        2 => in_polygon(&regular(3, 1.0, 1.0), u, v),
        3 => (u.abs() <= 0.3 && v.abs() <= 1.0) || (v.abs() <= 0.3 && u.abs() <= 1.0),
        4 => {
            let r2 = u * u + v * v;
            (0.3..=1.0).contains(&r2)
        }
        _ => in_polygon(&regular(5, 1.0, 0.45), u, v),
    }
}

/// A regular polygon (`inner == outer`) or star with `n` points.
fn regular(n: usize, outer: f32, inner: f32) -> Vec<(f32, f32)> {
    let star = (outer - inner).abs() > 1e-6;
    let k = if star { 2 * n } else { n };
    (0..k)
        .map(|i| {
            let a = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::TAU / k as f32;
            let r = if star && i % 2 == 1 { inner } else { outer };
            (r * a.cos(), r * a.sin())
        })
        .collect()
}

fn in_polygon(poly: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (xi, yi) = poly[i];
        let (xj, yj) = poly[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Render one sample: anti-aliased shape over a low-saturation background with mild texture.
pub fn render(spec: &ShapeSpec, rng: &mut Rng) -> Image {
    let hue = (spec.colour as f32 + rng.range(-0.3, 0.3)) / COLOURS.len() as f32;
    let fg = augment::hsv_to_rgb(hue, rng.range(0.75, 1.0), rng.range(0.75, 1.0));
    let bg_dark = rng.chance(0.5);
    let bg = augment::hsv_to_rgb(
        rng.uniform(),
        rng.range(0.0, 0.25),
        if bg_dark {
            rng.range(0.05, 0.3)
        } else {
            rng.range(0.55, 0.8)
        },
    );
    let mut img = Image::new(3, SIZE, SIZE);
    let plane = SIZE * SIZE;
    let (s, c) = spec.angle.sin_cos();
    let n = SUPERSAMPLE * SUPERSAMPLE;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let mut cover = 0;
            for sy in 0..SUPERSAMPLE {
                for sx in 0..SUPERSAMPLE {
                    let px = (x as f32 + (sx as f32 + 0.5) / SUPERSAMPLE as f32) / SIZE as f32;
                    let py = (y as f32 + (sy as f32 + 0.5) / SUPERSAMPLE as f32) / SIZE as f32;
                    let (dx, dy) = ((px - spec.cx) / spec.radius, (py - spec.cy) / spec.radius);
                    let (u, v) = (c * dx + s * dy, -s * dx + c * dy);
                    if inside(spec.shape, u, v) {
                        cover += 1;
                    }
                }
            }
            let a = cover as f32 / n as f32;
            let texture = 0.03 * rng.normal();
            let i = y * SIZE + x;
            img.data[i] = (a * fg.0 + (1.0 - a) * (bg.0 + texture)).clamp(0.0, 1.0);
            img.data[plane + i] = (a * fg.1 + (1.0 - a) * (bg.1 + texture)).clamp(0.0, 1.0);
            img.data[2 * plane + i] = (a * fg.2 + (1.0 - a) * (bg.2 + texture)).clamp(0.0, 1.0);
        }
    }
    img
}

pub struct Shapes {
    images: super::ImageStack,
    specs: Vec<ShapeSpec>,
    names: Vec<String>,
    paired: bool,
}

impl Shapes {
    pub fn new(seed: u64) -> Self {
        Self::generate(seed, false)
    }

    /// The paired image↔caption set for CLIP.
    pub fn paired(seed: u64) -> Self {
        Self::generate(seed, true)
    }

    fn generate(seed: u64, paired: bool) -> Self {
        let mut rng = Rng::fork(seed, "shapes");
        let mut images = super::ImageStack::new(SIZE);
        let mut specs = Vec::with_capacity(SAMPLES);
        for i in 0..SAMPLES {
            let layout = if paired {
                Layout::Anywhere
            } else {
                Layout::Centred
            };
            let spec = ShapeSpec::random(&mut rng, i % SHAPES.len(), layout);
            images.push(&render(&spec, &mut rng).data);
            specs.push(spec);
        }
        Self {
            images,
            specs,
            names: SHAPES.iter().map(|s| s.to_string()).collect(),
            paired,
        }
    }

    pub fn spec(&self, i: usize) -> ShapeSpec {
        self.specs[i]
    }
}

impl Source for Shapes {
    fn name(&self) -> String {
        if self.paired {
            "shapes+captions"
        } else {
            "shapes"
        }
        .into()
    }

    fn input(&self) -> InputKind {
        self.images.input()
    }

    fn class_names(&self) -> &[String] {
        &self.names
    }

    fn len(&self) -> usize {
        self.specs.len()
    }

    fn base(&self, i: usize) -> &[f32] {
        self.images.get(i)
    }

    fn label(&self, i: usize) -> usize {
        self.specs[i].shape
    }

    fn view(&self, i: usize, rng: &mut Rng, strength: f32) -> Vec<f32> {
        let img = self.images.image(i);
        if self.paired {
            // The caption names colour, size and position: CLIP's image views must keep them,
            // so only noise and a mild blur perturb the image.
            let mut v = if rng.chance(0.5 * strength.min(1.0)) {
                augment::gaussian_blur(&img, rng.range(0.1, 0.5 * strength))
            } else {
                img
            };
            augment::add_noise(&mut v, rng, 0.03 * strength);
            return v.data;
        }
        // Each sample's random orientation would otherwise identify it across views without
        // any regard to shape: a random rotation (full circle at strength ≥ 1) removes that cue.
        let angle = rng.range(-std::f32::consts::PI, std::f32::consts::PI) * strength.min(1.0);
        let fill = img.data[0];
        let rotated = img.warp(augment::rotation_about_centre(SIZE, angle), fill);
        augment::simclr_view(&rotated, rng, strength, SHAPES_COLOUR).data
    }

    fn caption(&self, i: usize, rng: &mut Rng, strength: f32) -> Option<Vec<f32>> {
        if !self.paired {
            return None;
        }
        // One-hot per slot; each word is dropped (all-zero slot) with probability 0.1 s, the
        // text counterpart of an image augmentation.
        let words = self.specs[i].words();
        let mut out = vec![0.0; caption_dim()];
        let mut offset = 0;
        for (slot, w) in SLOTS.iter().zip(words) {
            if !rng.chance((0.1 * strength).min(0.5)) {
                out[offset + w] = 1.0;
            }
            offset += slot.len();
        }
        Some(out)
    }

    fn caption_dim(&self) -> usize {
        if self.paired { caption_dim() } else { 0 }
    }

    fn caption_text(&self, i: usize) -> Option<String> {
        Some(self.specs[i].caption())
    }

    fn caption_key(&self, i: usize) -> Option<usize> {
        // The words as digits of a mixed-radix number: one key per distinct caption.
        self.paired.then(|| {
            SLOTS
                .iter()
                .zip(self.specs[i].words())
                .fold(0, |key, (slot, w)| key * slot.len() + w)
        })
    }

    /// One prompt per shape: the caption with only its shape word (the other slots empty, as
    /// the text tower sees them when words are dropped).
    fn prompts(&self) -> Vec<Prompt> {
        if !self.paired {
            return Vec::new();
        }
        let offset: usize = SLOTS[..SHAPE_SLOT].iter().map(|s| s.len()).sum();
        SHAPES
            .iter()
            .enumerate()
            .map(|(class, word)| {
                let mut encoding = vec![0.0; caption_dim()];
                encoding[offset + class] = 1.0;
                Prompt {
                    text: format!("a {word}"),
                    class,
                    encoding,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_renders_visible_and_distinct() {
        let mut rng = Rng::new(0);
        let masks: Vec<Vec<bool>> = (0..SHAPES.len())
            .map(|k| {
                let spec = ShapeSpec {
                    shape: k,
                    colour: 0,
                    radius: 0.4,
                    cx: 0.5,
                    cy: 0.5,
                    angle: 0.0,
                };
                let img = render(&spec, &mut rng);
                // Red foreground: the red channel dominates inside the shape.
                (0..SIZE * SIZE)
                    .map(|i| img.data[i] > img.data[2 * SIZE * SIZE + i] + 0.3)
                    .collect()
            })
            .collect();
        for (k, m) in masks.iter().enumerate() {
            let covered = m.iter().filter(|&&b| b).count();
            assert!(covered > 15, "{} covers {covered} pixels", SHAPES[k]);
        }
        for a in 0..masks.len() {
            for b in a + 1..masks.len() {
                let diff = masks[a]
                    .iter()
                    .zip(&masks[b])
                    .filter(|(x, y)| x != y)
                    .count();
                assert!(diff > 5, "{} vs {}", SHAPES[a], SHAPES[b]);
            }
        }
    }

    #[test]
    fn captions_describe_the_sample() {
        let s = Shapes::paired(1);
        let text = s.caption_text(0).unwrap_or_default();
        assert!(text.contains(SHAPES[s.label(0)]), "{text}");
        let mut rng = Rng::new(0);
        let c = s.caption(0, &mut rng, 0.0).unwrap_or_default();
        assert_eq!(c.len(), caption_dim());
        assert_eq!(c.iter().sum::<f32>(), 5.0);
    }
}
