//! `blobs`: K Gaussian clusters whose centres live in a few *signal* dimensions, plus many
//! high-variance *nuisance* dimensions that the augmentation resamples.
//!
//! Raw-space kNN is poor because nuisance dominates distances; an encoder that learned the
//! invariance the augmentation teaches (ignore nuisance) separates the classes almost perfectly.
//! That gap is what a class watches close.

use super::{InputKind, Source};
use crate::rng::Rng;

pub const CLASSES: usize = 10;
pub const DIM: usize = 32;
pub const SIGNAL_DIMS: usize = 8;
pub const SAMPLES: usize = 4000;
const CENTRE_SCALE: f32 = 1.5;
const WITHIN_CLASS: f32 = 0.35;
const NUISANCE_SCALE: f32 = 2.0;

pub struct Blobs {
    data: Vec<f32>,
    labels: Vec<usize>,
    names: Vec<String>,
}

impl Blobs {
    pub fn new(seed: u64) -> Self {
        Self::with_samples(seed, SAMPLES)
    }

    /// `samples` points (a probe of up to 20k needs as many); the first [`SAMPLES`] are those
    /// of [`Blobs::new`].
    pub fn with_samples(seed: u64, samples: usize) -> Self {
        let mut rng = Rng::fork(seed, "blobs");
        let centres: Vec<f32> = (0..CLASSES * SIGNAL_DIMS)
            .map(|_| CENTRE_SCALE * rng.normal())
            .collect();
        let mut data = Vec::with_capacity(samples * DIM);
        let mut labels = Vec::with_capacity(samples);
        for i in 0..samples {
            let k = i % CLASSES;
            for d in 0..DIM {
                data.push(if d < SIGNAL_DIMS {
                    centres[k * SIGNAL_DIMS + d] + WITHIN_CLASS * rng.normal()
                } else {
                    NUISANCE_SCALE * rng.normal()
                });
            }
            labels.push(k);
        }
        Self {
            data,
            labels,
            names: (0..CLASSES).map(|k| format!("blob {k}")).collect(),
        }
    }
}

impl Source for Blobs {
    fn name(&self) -> String {
        "blobs".into()
    }

    fn input(&self) -> InputKind {
        InputKind::Vector { dim: DIM }
    }

    fn class_names(&self) -> &[String] {
        &self.names
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn base(&self, i: usize) -> &[f32] {
        &self.data[i * DIM..(i + 1) * DIM]
    }

    fn label(&self, i: usize) -> usize {
        self.labels[i]
    }

    /// Nuisance resampling (mixing fraction min(s, 1)), additive noise (σ = 0.25 s),
    /// feature masking (p = 0.1 s) and random scaling (± 0.2 s).
    fn view(&self, i: usize, rng: &mut Rng, strength: f32) -> Vec<f32> {
        let s = strength.max(0.0);
        let a = s.min(1.0);
        let (keep, fresh) = ((1.0 - a).sqrt(), a.sqrt());
        let mask_p = (0.1 * s).min(0.5);
        let scale = rng.range((1.0 - 0.2 * s).max(0.2), 1.0 + 0.2 * s);
        self.base(i)
            .iter()
            .enumerate()
            .map(|(d, &x)| {
                let x = if d < SIGNAL_DIMS {
                    x
                } else {
                    keep * x + fresh * NUISANCE_SCALE * rng.normal()
                };
                let x = (x + 0.25 * s * rng.normal()) * scale;
                if rng.chance(mask_p) { 0.0 } else { x }
            })
            .collect()
    }
}
