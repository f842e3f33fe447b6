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

use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views};
use super::{l2_normalize, logsumexp, scalar, tensor2, to_vec};
use crate::config::{Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use crate::metrics::diagnostics::{normalize_rows, normalize_rows_f32};
use crate::run::snapshot::PromptEmbeddings;
use burn::module::Module;
use burn::tensor::Tensor;

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::Clip,
    title: "CLIP (image ↔ caption InfoNCE)",
    knobs: &[
        Knob::new(Key::Temperature),
        Knob::new(Key::LearnableTemperature),
        Knob::new(Key::CaptionPositives),
    ],
    metrics: &[
        Extra::Temperature,
        Extra::RetrievalAcc,
        Extra::MiBound,
        Extra::ZeroShotAcc,
    ],
    candidates: Some(candidates),
    forward,
    measure,
};

/// How many candidates each image (caption) chooses among: the N captions (images) of the batch.
pub fn candidates(config: &RunConfig) -> usize {
    config.batch_size
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

pub fn forward(learner: &Learner, views: Views, config: &RunConfig) -> Forward {
    let (images, captions, caption_keys) = (views.x1, views.x2, views.caption_keys);
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

/// Its numbers, with τ the learned one (1 / the logit scale), and the zero-shot prompts.
fn measure(p: &Probed) -> Result<MethodExtras> {
    let temperature = 1.0 / scalar(p.learner.online.logit_scale(p.config, &p.device()))?;
    let d = p.config.out_dim;
    let prompts = prompt_embeddings(p)?;
    Ok(MethodExtras {
        numbers: vec![
            (Extra::Temperature, temperature),
            (Extra::RetrievalAcc, retrieval_accuracy(p.z, p.z_b, d)),
            (Extra::MiBound, p.mi_bound()),
            (
                Extra::ZeroShotAcc,
                prompts.as_ref().map_or(f64::NAN, |p| p.accuracy),
            ),
        ],
        prompts,
        ..MethodExtras::default()
    })
}

/// The probe's zero-shot prompts through the text tower, and the fraction of probe images
/// whose nearest prompt names their class.
fn prompt_embeddings(p: &Probed) -> Result<Option<PromptEmbeddings>> {
    let prompts = &p.probe.prompts;
    if prompts.is_empty() {
        return Ok(None);
    }
    let encodings: Vec<f32> = prompts.iter().flat_map(|p| p.encoding.clone()).collect();
    let net = p.learner.online.valid();
    let z = to_vec(
        net.embed_text(
            tensor2(&encodings, prompts.len(), &p.device()),
            p.config.projector_norm(),
        )
        .1,
    )?; // [prompts, d]
    let classes: Vec<usize> = prompts.iter().map(|p| p.class).collect();
    let accuracy = zero_shot_accuracy(p.z, &z, p.config.out_dim, &classes, &p.probe.labels);
    Ok(Some(PromptEmbeddings {
        texts: prompts.iter().map(|p| p.text.clone()).collect(),
        classes,
        z,
        accuracy,
    }))
}

/// Fraction of `images: [n, d]` whose most similar (cosine) row of `prompts: [p, d]` has the
/// image's label as its class.
pub fn zero_shot_accuracy(
    images: &[f32],
    prompts: &[f32],
    d: usize,
    classes: &[usize],
    labels: &[usize],
) -> f64 {
    let (a, b) = (normalize_rows(images, d), normalize_rows(prompts, d));
    if labels.is_empty() || classes.is_empty() || d == 0 {
        return 0.0;
    }
    let hits = a
        .chunks_exact(d)
        .zip(labels)
        .filter(|(row, label)| {
            let nearest = b
                .chunks_exact(d)
                .map(|p| p.iter().zip(row.iter()).map(|(x, y)| x * y).sum::<f64>())
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .map(|(k, _)| classes[k]);
            nearest == Some(**label)
        })
        .count();
    hits as f64 / labels.len() as f64
}

/// Fraction of probe images whose most similar caption (among the probe's) is their own. Many
/// images share a caption (the same words), and identical captions embed identically, so a tie
/// with the own caption counts as a hit.
fn retrieval_accuracy(images: &[f32], captions: &[f32], d: usize) -> f64 {
    let (a, b) = (
        normalize_rows_f32(images, d),
        normalize_rows_f32(captions, d),
    );
    let n = a.len() / d.max(1);
    if n == 0 {
        return 0.0;
    }
    let mut hits = 0;
    crate::cpu::dots::for_each_dot_row(&a, &b, d, |i, row| {
        // Ties (two probe samples with the same caption) count as found.
        let own = row[i];
        if row.iter().all(|&s| s <= own + 1e-6) {
            hits += 1;
        }
    });
    hits as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_shot_classifies_by_the_nearest_prompt_whatever_its_length() {
        // Prompts for classes 2 and 5 along the two axes (one long, one short).
        let prompts = [3.0, 0.0, 0.0, 0.5];
        let classes = [2, 5];
        let images = [1.0, 0.1, 0.2, 2.0, 0.9, 0.8, -1.0, 0.0];
        // Nearest by cosine: 2, 5, 2 (0.75 > 0.66), 5 (cos −1 vs 0): the third is wrong.
        let labels = [2, 5, 5, 5];
        let acc = zero_shot_accuracy(&images, &prompts, 2, &classes, &labels);
        assert!((acc - 0.75).abs() < 1e-12, "{acc}");
        assert_eq!(zero_shot_accuracy(&[], &prompts, 2, &classes, &[]), 0.0);
    }
}
