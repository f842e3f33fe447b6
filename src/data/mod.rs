//! Datasets that teach: every one is generated or shipped (nothing downloads), comes with the
//! augmentations that define what is nuisance, and a fixed labelled probe set for diagnostics.

pub mod augment;
pub mod blobs;
pub mod csv;
pub mod digits;
pub mod folder;
pub mod probe;
pub mod shapes;
pub mod stream;

use crate::config::{DatasetKind, Key, Method, RunConfig};
use crate::error::{LabError, Result};
use crate::rng::Rng;
use std::sync::Arc;

pub use probe::Probe;

/// What one sample looks like to the encoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Vector {
        dim: usize,
    },
    Image {
        channels: usize,
        height: usize,
        width: usize,
    },
}

impl InputKind {
    /// Length of one flattened sample.
    pub fn len(self) -> usize {
        match self {
            InputKind::Vector { dim } => dim,
            InputKind::Image {
                channels,
                height,
                width,
            } => channels * height * width,
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Square RGB images of one size, stored flat (`[n, 3, side, side]`), as `shapes` and image
/// folders hold them.
pub struct ImageStack {
    side: usize,
    data: Vec<f32>,
}

impl ImageStack {
    pub fn new(side: usize) -> Self {
        Self {
            side,
            data: Vec::new(),
        }
    }

    /// Append one `[3, side, side]` image.
    pub fn push(&mut self, pixels: &[f32]) {
        self.data.extend_from_slice(pixels);
    }

    pub fn input(&self) -> InputKind {
        InputKind::Image {
            channels: 3,
            height: self.side,
            width: self.side,
        }
    }

    /// Image `i`, flattened.
    pub fn get(&self, i: usize) -> &[f32] {
        let n = 3 * self.side * self.side;
        &self.data[i * n..(i + 1) * n]
    }

    /// Image `i` as an [`augment::Image`] to augment.
    pub fn image(&self, i: usize) -> augment::Image {
        augment::Image::from_vec(3, self.side, self.side, self.get(i).to_vec())
    }
}

/// A finite labelled dataset with its augmentation.
pub trait Source: Send + Sync {
    fn name(&self) -> String;
    fn input(&self) -> InputKind;
    fn class_names(&self) -> &[String];
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The clean sample `i`, flattened (`[input.len()]`).
    fn base(&self, i: usize) -> &[f32];
    fn label(&self, i: usize) -> usize;
    /// One random view of sample `i` at augmentation strength `strength`.
    fn view(&self, i: usize, rng: &mut Rng, strength: f32) -> Vec<f32>;
    /// The second modality (CLIP): a caption encoding of sample `i`, if the set is paired.
    fn caption(&self, _i: usize, _rng: &mut Rng, _strength: f32) -> Option<Vec<f32>> {
        None
    }
    /// Length of one caption encoding (0 when the set is not paired).
    fn caption_dim(&self) -> usize {
        0
    }
    /// The caption of sample `i` as words.
    fn caption_text(&self, _i: usize) -> Option<String> {
        None
    }
    /// Paired sets: which caption sample `i` has (equal keys, equal captions), so a loss can
    /// count every pair with the same caption as a positive.
    fn caption_key(&self, _i: usize) -> Option<usize> {
        None
    }
    /// Paired sets: the prompts of zero-shot classification, one per class, built from the
    /// caption vocabulary.
    fn prompts(&self) -> Vec<Prompt> {
        Vec::new()
    }
    /// Something the user should know about the data (e.g. files that could not be read).
    fn warning(&self) -> Option<String> {
        None
    }
}

/// A caption made from the vocabulary for zero-shot classification: the text tower embeds it
/// and every image nearest to it is classified as `class`.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub text: String,
    pub class: usize,
    /// `[caption_dim]` the caption encoding.
    pub encoding: Vec<f32>,
}

/// Build the dataset a config asks for. CLIP gets the paired image↔caption set.
pub fn build(config: &RunConfig) -> Result<Arc<dyn Source>> {
    let seed = config.seed;
    Ok(match (&config.dataset, config.method) {
        (DatasetKind::Shapes, Method::Clip) => Arc::new(shapes::Shapes::paired(seed)),
        (dataset, method) if !method.trains_on(dataset) => {
            return Err(LabError::invalid(
                Key::Dataset.name(),
                config.dataset.name(),
                "CLIP needs paired image↔caption data: use dataset=shapes",
            ));
        }
        (DatasetKind::Blobs, _) => Arc::new(blobs::Blobs::with_samples(
            seed,
            blobs::SAMPLES.max(config.probe_size),
        )),
        (DatasetKind::Shapes, _) => Arc::new(shapes::Shapes::new(seed)),
        (DatasetKind::Digits, _) => Arc::new(digits::Digits::load()?),
        (DatasetKind::Folder(path), _) => Arc::new(folder::ImageFolder::load(path)?),
        (DatasetKind::Csv(path), _) => Arc::new(csv::CsvVectors::load(path)?),
    })
}

/// Whether `source`, built by [`build`] for `old`, serves `new` as well: [`build`] reads the
/// dataset, the method (CLIP pairs), the seed and, for blobs, how many samples the probe needs.
pub fn reusable(source: &dyn Source, old: &RunConfig, new: &RunConfig) -> bool {
    new.dataset == old.dataset
        && new.method == old.method
        && new.seed == old.seed
        && (new.probe_size <= source.len() || new.dataset != DatasetKind::Blobs)
}

/// Two views of `size` samples (CLIP: an image view and its caption), flattened row-major.
#[derive(Clone, Debug)]
pub struct Batch {
    pub size: usize,
    /// `[size, input_len]`
    pub x1: Vec<f32>,
    /// `[size, input_len]`, or `[size, caption_dim]` for paired data.
    pub x2: Vec<f32>,
    pub indices: Vec<usize>,
    pub labels: Vec<usize>,
    /// Paired sets: each sample's caption key (see [`Source::caption_key`]); empty otherwise.
    pub caption_keys: Vec<usize>,
}

/// Draws batches without replacement within an epoch, reshuffling each epoch, so a batch holds
/// a sample twice only when it straddles two epochs or is larger than the dataset (a duplicate
/// is a false negative for InfoNCE).
#[derive(Clone, Debug)]
pub struct Sampler {
    order: Vec<usize>,
    cursor: usize,
    rng: Rng,
}

impl Sampler {
    pub fn new(len: usize, seed: u64) -> Self {
        let mut s = Self {
            order: (0..len).collect(),
            cursor: len,
            rng: Rng::fork(seed, "sampler"),
        };
        s.reshuffle();
        s
    }

    fn reshuffle(&mut self) {
        let mut order = std::mem::take(&mut self.order);
        self.rng.shuffle(&mut order);
        self.order = order;
        self.cursor = 0;
    }

    pub fn next_indices(&mut self, n: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.cursor >= self.order.len() {
                self.reshuffle();
            }
            out.push(self.order[self.cursor]);
            self.cursor += 1;
        }
        out
    }

    /// The next `size` samples, with two views each (see [`Draw`]).
    pub fn next_batch(
        &mut self,
        source: &dyn Source,
        size: usize,
        strength: f32,
        aug_rng: &mut Rng,
    ) -> Batch {
        let draw = self.start_batch(source, size, strength, aug_rng);
        let samples = (0..size).map(|k| draw.sample(k)).collect();
        draw.finish(samples)
    }

    /// The next `size` samples, their views still to be drawn: takes the indices from this
    /// sampler and one number from the augmentations' stream `aug_rng`.
    pub fn start_batch<'a>(
        &mut self,
        source: &'a dyn Source,
        size: usize,
        strength: f32,
        aug_rng: &mut Rng,
    ) -> Draw<'a> {
        Draw {
            source,
            indices: self.next_indices(size),
            seed: aug_rng.next_u64(),
            strength,
        }
    }
}

/// A batch whose views are still to be drawn. Each sample's views come from a random stream of
/// its own (the batch's seed and the sample's place in the batch), so the samples can be drawn
/// in any order, on any thread, with the same numbers ([`stream`] draws them on two).
pub struct Draw<'a> {
    source: &'a dyn Source,
    indices: Vec<usize>,
    seed: u64,
    strength: f32,
}

/// One sample's two views (CLIP: an image view and its caption).
pub type Views = (Vec<f32>, Vec<f32>);

impl Draw<'_> {
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The views of the batch's sample `k`.
    pub fn sample(&self, k: usize) -> Views {
        let (source, strength, i) = (self.source, self.strength, self.indices[k]);
        // A stream per sample: the seed mixed with the place by an odd multiplier (Rng::new
        // spreads it further through SplitMix64).
        let mut rng = Rng::new(self.seed ^ (k as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let first = source.view(i, &mut rng, strength);
        let paired = source.caption_dim() > 0;
        let second = match paired
            .then(|| source.caption(i, &mut rng, strength))
            .flatten()
        {
            Some(caption) => caption,
            None => source.view(i, &mut rng, strength),
        };
        (first, second)
    }

    /// The batch of `samples`, the views of samples `0..len` in order.
    pub fn finish(self, samples: Vec<Views>) -> Batch {
        let source = self.source;
        let (x1, x2): (Vec<Vec<f32>>, Vec<Vec<f32>>) = samples.into_iter().unzip();
        Batch {
            size: self.indices.len(),
            x1: x1.concat(),
            x2: x2.concat(),
            labels: self.indices.iter().map(|&i| source.label(i)).collect(),
            caption_keys: self
                .indices
                .iter()
                .filter_map(|&i| source.caption_key(i))
                .collect(),
            indices: self.indices,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampler_covers_an_epoch_without_repeats() {
        let mut s = Sampler::new(10, 1);
        let mut a = s.next_indices(10);
        a.sort();
        assert_eq!(a, (0..10).collect::<Vec<_>>());
        assert_eq!(s.next_indices(25).len(), 25);
    }
}
