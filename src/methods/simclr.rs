//! SimCLR (Chen et al. 2020): two views of each of N samples, 2N embeddings, and for every
//! embedding a (2N−1)-way softmax over cosine similarities / τ whose target is its other view:
//! the NT-Xent loss.

use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views, fast};
use super::{l2_normalize, logsumexp};
use crate::config::{Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use burn::tensor::Tensor;

/// NT-Xent over both views stacked as `z: [2n, d]` (`z[i] ↔ z[i + n]`), as training uses it:
/// the value and gradient of [`nt_xent`], on the CPU from the fused host kernel
/// ([`fast::nt_xent_on_host`]). `→ [1]`
pub fn nt_xent_views(z: Tensor<2>, temperature: f64) -> Tensor<1> {
    fast::nt_xent_on_host(l2_normalize(z.clone()), temperature).unwrap_or_else(|| {
        let n = z.dims()[0] / 2;
        nt_xent(z.clone().narrow(0, 0, n), z.narrow(0, n, n), temperature)
    })
}

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::SimClr,
    title: "SimCLR (NT-Xent)",
    knobs: &[Knob::new(Key::Temperature)],
    metrics: &[Extra::Temperature, Extra::MiBound],
    candidates: Some(candidates),
    forward,
    measure,
};

/// How many candidates each anchor's softmax chooses among: its positive and 2N − 2 negatives.
/// InfoNCE bounds the mutual information of the views, I(v₁; v₂) ≥ ln(that) − loss.
pub fn candidates(config: &RunConfig) -> usize {
    (2 * config.batch_size).saturating_sub(1)
}

/// NT-Xent over the 2N views `z1[i] ↔ z2[i]`, cosine similarity / `temperature`.
/// `z1, z2: [n, d] → [1]` (mean over all 2N anchors).
pub fn nt_xent(z1: Tensor<2>, z2: Tensor<2>, temperature: f64) -> Tensor<1> {
    let [n, _] = z1.dims();
    let device = z1.device();
    // 1/τ folded into the [2n, d] embeddings (√ on each side) rather than applied to the
    // [2n, 2n] similarities: one pass over the big matrix fewer, forward and backward.
    let root = (1.0 / temperature).sqrt();
    let (z1, z2) = (
        l2_normalize(z1).mul_scalar(root),
        l2_normalize(z2).mul_scalar(root),
    );
    // Both halves share the positive logit: sim(z1[i], z2[i]) = sim(z2[i], z1[i]).
    let positive = (z1.clone() * z2.clone()).sum_dim(1); // [n, 1], already / τ
    let z = Tensor::cat(vec![z1, z2], 0); // [2n, d]
    // An anchor is never its own negative: a constant −10⁹ on the diagonal removes it from
    // the softmax (one add, no mask tensor to build and apply).
    let diagonal = Tensor::<2>::eye(2 * n, &device).mul_scalar(-1.0e9); // [2n, 2n]
    let sim = z.clone().matmul(z.transpose()) + diagonal; // [2n, 2n]
    let lse = logsumexp(sim); // [2n, 1]
    lse.mean() - positive.mean()
}

/// Both views go through the network as one batch of 2N, as in the paper (its batch norm
/// sees all 2N views) and the PyTorch reference: one pass instead of two.
pub fn forward(learner: &Learner, Views { x1, x2, .. }: Views, config: &RunConfig) -> Forward {
    let x = Tensor::cat(vec![x1, x2], 0); // [2n, in]
    let (h, z) = learner.online.embed(x, config.projector_norm()); // [2n, feat], [2n, out]
    Forward {
        // `nt_xent` of the two halves of z; on the CPU a fused kernel with the same value and
        // gradient (`nt_xent_views`, tested against `nt_xent`).
        loss: nt_xent_views(z.clone(), config.temperature),
        outputs: vec![h, z],
        update: StateUpdate::None,
        halves: None,
    }
}

fn measure(p: &Probed) -> Result<MethodExtras> {
    Ok(MethodExtras::numbers(vec![
        (Extra::Temperature, p.config.temperature),
        (Extra::MiBound, p.mi_bound()),
    ]))
}
