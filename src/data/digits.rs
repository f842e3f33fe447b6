//! `digits`: the UCI optical handwritten digits, 1797 8×8 images (CC BY 4.0, shipped in
//! `assets/digits/` with its attribution). Views: small rotations and shifts, mild crop/zoom
//! and noise — the invariances a digit's identity survives.

use super::augment::{self, Image};
use super::{InputKind, Source};
use crate::error::{LabError, Result};
use crate::rng::Rng;

const CSV: &str = include_str!("../../assets/digits/optdigits.csv");
pub const SIDE: usize = 8;

pub struct Digits {
    pixels: Vec<f32>,
    labels: Vec<usize>,
    names: Vec<String>,
}

impl Digits {
    pub fn load() -> Result<Self> {
        Self::parse(CSV)
    }

    /// Parse rows of 64 pixel values (0..16) and a label (0..9).
    pub fn parse(text: &str) -> Result<Self> {
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for (line_no, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let values: Vec<&str> = line.split(',').collect();
            if values.len() != SIDE * SIDE + 1 {
                return Err(LabError::Dataset(format!(
                    "digits line {}: {} values, expected 65",
                    line_no + 1,
                    values.len()
                )));
            }
            for v in &values[..SIDE * SIDE] {
                let p: f32 = v.trim().parse().map_err(|_| {
                    LabError::Dataset(format!("digits line {}: bad pixel `{v}`", line_no + 1))
                })?;
                pixels.push(p / 16.0);
            }
            let label: usize = values[SIDE * SIDE].trim().parse().map_err(|_| {
                LabError::Dataset(format!("digits line {}: bad label", line_no + 1))
            })?;
            if label > 9 {
                return Err(LabError::Dataset(format!(
                    "digits line {}: label {label} out of 0..9",
                    line_no + 1
                )));
            }
            labels.push(label);
        }
        if labels.is_empty() {
            return Err(LabError::Dataset("digits: no samples".into()));
        }
        Ok(Self {
            pixels,
            labels,
            names: (0..10).map(|d| d.to_string()).collect(),
        })
    }
}

impl Source for Digits {
    fn name(&self) -> String {
        "digits".into()
    }

    fn input(&self) -> InputKind {
        InputKind::Image {
            channels: 1,
            height: SIDE,
            width: SIDE,
        }
    }

    fn class_names(&self) -> &[String] {
        &self.names
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn base(&self, i: usize) -> &[f32] {
        &self.pixels[i * SIDE * SIDE..(i + 1) * SIDE * SIDE]
    }

    fn label(&self, i: usize) -> usize {
        self.labels[i]
    }

    fn view(&self, i: usize, rng: &mut Rng, strength: f32) -> Vec<f32> {
        let s = strength.max(0.0);
        if s == 0.0 {
            return self.base(i).to_vec();
        }
        let img = Image::from_vec(1, SIDE, SIDE, self.base(i).to_vec());
        let angle = rng.range(-0.26, 0.26) * s; // ±15° at s = 1
        let scale = rng.range(1.0 - 0.1 * s, 1.0 + 0.15 * s).max(0.3);
        let dx = rng.range(-1.0, 1.0) * s;
        let dy = rng.range(-1.0, 1.0) * s;
        let mut v = augment::rotate_scale_shift(&img, angle, scale, dx, dy);
        augment::add_noise(&mut v, rng, 0.05 * s);
        v.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_digits_load_completely() {
        let d = Digits::load().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.len(), 1797);
        let mut counts = [0usize; 10];
        (0..d.len()).for_each(|i| counts[d.label(i)] += 1);
        assert!(counts.iter().all(|&c| c > 170), "{counts:?}");
        assert!(d.pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn corrupt_rows_are_clear_errors() {
        assert!(Digits::parse("1,2,3").is_err());
        assert!(Digits::parse("").is_err());
    }
}
