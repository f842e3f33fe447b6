//! SimCLR (Chen et al. 2020): two views of each of N samples, 2N embeddings, and for every
//! embedding a (2N−1)-way softmax over cosine similarities / τ whose target is its other view:
//! the NT-Xent loss.

use super::{Forward, Learner, StateUpdate, l2_normalize, logsumexp};
use crate::config::RunConfig;
use burn::tensor::Tensor;

/// NT-Xent over the 2N views `z1[i] ↔ z2[i]`, cosine similarity / `temperature`.
/// `z1, z2: [n, d] → [1]` (mean over all 2N anchors).
pub fn nt_xent(z1: Tensor<2>, z2: Tensor<2>, temperature: f64) -> Tensor<1> {
    let [n, _] = z1.dims();
    let device = z1.device();
    let (z1, z2) = (l2_normalize(z1), l2_normalize(z2));
    // Both halves share the positive logit: sim(z1[i], z2[i]) = sim(z2[i], z1[i]).
    let positive = (z1.clone() * z2.clone()).sum_dim(1).div_scalar(temperature); // [n, 1]
    let z = Tensor::cat(vec![z1, z2], 0); // [2n, d]
    let sim = z.clone().matmul(z.transpose()).div_scalar(temperature); // [2n, 2n]
    // An anchor is never its own negative: mask the diagonal out of the softmax.
    let self_mask = Tensor::<2>::eye(2 * n, &device).equal_elem(1.0);
    let sim = sim.mask_fill(self_mask, -1.0e9);
    let lse = logsumexp(sim); // [2n, 1]
    lse.mean() - positive.mean()
}

pub fn forward(learner: &Learner, x1: Tensor<2>, x2: Tensor<2>, config: &RunConfig) -> Forward {
    let (h1, z1) = learner.online.embed(x1, config.projector_bn); // [batch, out]
    let (_, z2) = learner.online.embed(x2, config.projector_bn);
    Forward {
        loss: nt_xent(z1.clone(), z2.clone(), config.temperature),
        outputs: vec![h1, z1, z2],
        update: StateUpdate::None,
    }
}
