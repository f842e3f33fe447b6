//! CLIP (Radford et al. 2021): an image tower and a text tower, and a symmetric InfoNCE over the
//! N×N image–caption similarity matrix scaled by a logit scale 1/τ (learnable from 1/0.07,
//! capped at 100). Row i's target is caption i; column j's target is image j.
//!
//! A batch of the shapes set holds many pairs with the same caption (648 distinct captions:
//! about 50 such pairs in 256), which the paper's loss counts as negatives. With
//! `caption_positives` every pair with the same caption is a positive: each row's loss is the
//! mean of −log softmax over its positives (the multi-positive InfoNCE of supervised
//! contrastive learning, Khosla et al. 2020, with the captions as labels). With only the
//! diagonal positive it is exactly the paper's loss.

use super::{Forward, Learner, StateUpdate, l2_normalize, logsumexp};
use crate::config::RunConfig;
use crate::config::{Key, Knob};
use crate::metrics::Extra;
use burn::tensor::Tensor;

/// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order).
pub const METRICS: &[Extra] = &[
    Extra::Temperature,
    Extra::RetrievalAcc,
    Extra::MiBound,
    Extra::ZeroShotAcc,
];

/// The knobs the app shows for this method, in order.
pub const KNOBS: &[Knob] = &[
    Knob::new(Key::Temperature),
    Knob::new(Key::LearnableTemperature),
    Knob::new(Key::CaptionPositives),
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

/// `positives[i, j] = 1` where samples i and j have the same caption key (the diagonal always).
/// `keys: [n] → [n, n]`
pub fn same_caption(keys: &[usize], device: &burn::tensor::Device) -> Tensor<2> {
    let n = keys.len();
    let mask: Vec<f32> = keys
        .iter()
        .flat_map(|a| keys.iter().map(move |b| f32::from(a == b)))
        .collect();
    super::tensor2(&mask, n, device)
}

/// Symmetric multi-positive CLIP loss: row i's loss is `−(1/|Pᵢ|) Σ_{j∈Pᵢ} log softmax_j`
/// over the row's logits, `Pᵢ` the ones of row i of `positives` (which must hold the diagonal);
/// the same over columns. `image, text: [n, d]`, `logit_scale: [1]`, `positives: [n, n]`
/// symmetric 0/1 `→ [1]`.
pub fn clip_loss_multi(
    image: Tensor<2>,
    text: Tensor<2>,
    logit_scale: Tensor<1>,
    positives: Tensor<2>,
) -> Tensor<1> {
    let (image, text) = (l2_normalize(image), l2_normalize(text));
    let scale = logit_scale.unsqueeze_dim::<2>(0); // [1, 1]
    let logits = image.matmul(text.transpose()) * scale; // [n, n]
    let count = positives.clone().sum_dim(1); // [n, 1]
    let side = |logits: Tensor<2>| {
        let log_p = logits.clone() - logsumexp(logits); // [n, n]
        ((log_p * positives.clone()).sum_dim(1) / count.clone())
            .mean()
            .neg()
    };
    (side(logits.clone()) + side(logits.transpose())).div_scalar(2.0)
}

pub fn forward(
    learner: &Learner,
    images: Tensor<2>,
    captions: Tensor<2>,
    caption_keys: &[usize],
    config: &RunConfig,
) -> Forward {
    let (h1, zi) = learner.online.embed(images, config.projector_norm()); // [batch, out]
    let (_, zt) = learner.online.embed_text(captions, config.projector_norm()); // [batch, out]
    let scale = learner.online.logit_scale(config, &learner.device);
    let [n, _] = zi.dims();
    let loss = if config.caption_positives && caption_keys.len() == n {
        let positives = same_caption(caption_keys, &learner.device);
        clip_loss_multi(zi.clone(), zt.clone(), scale, positives)
    } else {
        clip_loss(zi.clone(), zt.clone(), scale)
    };
    Forward {
        loss,
        outputs: vec![h1, zi, zt],
        update: StateUpdate::None,
        halves: None,
    }
}
