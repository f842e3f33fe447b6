//! CLIP (Radford et al. 2021): an image tower and a text tower, and a symmetric InfoNCE over the
//! N×N image–caption similarity matrix scaled by a logit scale 1/τ (learnable from 1/0.07,
//! capped at 100). Row i's target is caption i; column j's target is image j.

use super::{Forward, Learner, StateUpdate, l2_normalize, logsumexp};
use crate::config::RunConfig;
use crate::config::{Key, Knob};
use crate::metrics::Extra;
use burn::tensor::Tensor;

/// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order).
pub const METRICS: &[Extra] = &[Extra::Temperature, Extra::RetrievalAcc, Extra::MiBound];

/// The knobs the app shows for this method, in order.
pub const KNOBS: &[Knob] = &[
    Knob::new(Key::Temperature),
    Knob::new(Key::LearnableTemperature),
];

/// How many candidates each image (caption) chooses among: the N captions (images) of the batch.
pub fn candidates(batch_size: usize) -> usize {
    batch_size
}

/// Symmetric CLIP loss. `image, text: [n, d]`, `logit_scale: [1]` `→ [1]`.
pub fn clip_loss(image: Tensor<2>, text: Tensor<2>, logit_scale: Tensor<1>) -> Tensor<1> {
    let (image, text) = (l2_normalize(image), l2_normalize(text));
    let scale = logit_scale.unsqueeze_dim::<2>(0); // [1, 1]
    let logits = image.clone().matmul(text.clone().transpose()) * scale.clone(); // [n, n]
    let matched = (image * text).sum_dim(1) * scale; // [n, 1] the diagonal
    let image_to_text = logsumexp(logits.clone()).mean() - matched.clone().mean();
    let text_to_image = logsumexp(logits.transpose()).mean() - matched.mean();
    (image_to_text + text_to_image).div_scalar(2.0)
}

pub fn forward(
    learner: &Learner,
    images: Tensor<2>,
    captions: Tensor<2>,
    config: &RunConfig,
) -> Forward {
    let (h1, zi) = learner.online.embed(images, config.projector_bn); // [batch, out]
    let (_, zt) = learner.online.embed_text(captions, config.projector_bn); // [batch, out]
    let scale = learner.online.logit_scale(config, &learner.device);
    Forward {
        loss: clip_loss(zi.clone(), zt.clone(), scale),
        outputs: vec![h1, zi, zt],
        update: StateUpdate::None,
        halves: None,
    }
}
