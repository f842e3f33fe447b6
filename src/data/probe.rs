//! The fixed labelled probe set: embedded at every snapshot for diagnostics and the views.
//! It never trains the encoder. Its first 70 % are the kNN reference (labels known), the rest
//! the held-out queries. Each probe sample also has one fixed pair of augmented views, so
//! alignment and positive cosine are measured on the same pairs at every snapshot.

use super::Source;
use crate::rng::Rng;

pub const REFERENCE_FRACTION: f64 = 0.7;

#[derive(Clone, Debug)]
pub struct Probe {
    pub n: usize,
    pub input_len: usize,
    /// `[n, input_len]` clean samples.
    pub inputs: Vec<f32>,
    /// `[n, input_len]` first augmented view.
    pub view_a: Vec<f32>,
    /// `[n, input_len]` second augmented view (CLIP: `[n, caption_dim]` captions).
    pub view_b: Vec<f32>,
    pub labels: Vec<usize>,
    /// Dataset index of each probe sample (thumbnails, hover).
    pub indices: Vec<usize>,
    pub n_reference: usize,
    /// Paired sets: the zero-shot prompts (see [`Source::prompts`]).
    pub prompts: Vec<super::Prompt>,
}

impl Probe {
    pub fn build(source: &dyn Source, size: usize, seed: u64, strength: f32) -> Self {
        let mut rng = Rng::fork(seed, "probe");
        let mut indices: Vec<usize> = (0..source.len()).collect();
        rng.shuffle(&mut indices);
        indices.truncate(size.min(source.len()));
        let n = indices.len();
        let input_len = source.input().len();
        let paired = source.caption_dim() > 0;
        let mut inputs = Vec::with_capacity(n * input_len);
        let mut view_a = Vec::with_capacity(n * input_len);
        let mut view_b = Vec::with_capacity(n * input_len);
        for &i in &indices {
            inputs.extend_from_slice(source.base(i));
            view_a.extend(source.view(i, &mut rng, strength));
            match paired.then(|| source.caption(i, &mut rng, 0.0)).flatten() {
                Some(c) => view_b.extend(c),
                None => view_b.extend(source.view(i, &mut rng, strength)),
            }
        }
        let labels = indices.iter().map(|&i| source.label(i)).collect();
        Self {
            n,
            input_len,
            inputs,
            view_a,
            view_b,
            labels,
            indices,
            n_reference: ((n as f64) * REFERENCE_FRACTION).round() as usize,
            prompts: source.prompts(),
        }
    }
}
