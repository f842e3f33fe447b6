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
        (_, Method::Clip) => {
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

    pub fn next_batch(
        &mut self,
        source: &dyn Source,
        size: usize,
        strength: f32,
        aug_rng: &mut Rng,
    ) -> Batch {
        let indices = self.next_indices(size);
        let paired = source.caption_dim() > 0;
        let mut x1 = Vec::with_capacity(size * source.input().len());
        let mut x2 = Vec::with_capacity(size * source.input().len().max(source.caption_dim()));
        for &i in &indices {
            x1.extend(source.view(i, aug_rng, strength));
            match paired
                .then(|| source.caption(i, aug_rng, strength))
                .flatten()
            {
                Some(c) => x2.extend(c),
                None => x2.extend(source.view(i, aug_rng, strength)),
            }
        }
        let labels = indices.iter().map(|&i| source.label(i)).collect();
        let caption_keys = indices
            .iter()
            .filter_map(|&i| source.caption_key(i))
            .collect();
        Batch {
            size,
            x1,
            x2,
            indices,
            labels,
            caption_keys,
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
