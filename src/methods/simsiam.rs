//! SimSiam (Chen & He 2021): one shared encoder + projector, a predictor on one branch and a
//! stop-gradient on the other: `L = D(p1, sg(z2))/2 + D(p2, sg(z1))/2` with D the negative
//! cosine. The stop-gradient is what prevents collapse; switch it off and the loss falls to −1
//! while every output becomes the same vector.

use super::{Forward, Learner, StateUpdate, l2_normalize};
use crate::config::RunConfig;
use burn::tensor::Tensor;

/// Negative cosine similarity, averaged over the batch. `p, z: [n, d] → [1]`
pub fn negative_cosine(p: Tensor<2>, z: Tensor<2>) -> Tensor<1> {
    (l2_normalize(p) * l2_normalize(z)).sum_dim(1).mean().neg()
}

pub fn forward(learner: &Learner, x1: Tensor<2>, x2: Tensor<2>, config: &RunConfig) -> Forward {
    let online = &learner.online;
    let (h1, z1) = online.embed(x1, config.projector_bn); // [batch, out]
    let (_, z2) = online.embed(x2, config.projector_bn);
    let p1 = online.predict(z1.clone(), config.predictor, config.predictor_bn);
    let p2 = online.predict(z2.clone(), config.predictor, config.predictor_bn);
    let outputs = vec![h1, p1.clone(), p2.clone()];
    let (t1, t2) = if config.stop_gradient {
        (z1.detach(), z2.detach())
    } else {
        (z1, z2)
    };
    Forward {
        loss: (negative_cosine(p1, t2) + negative_cosine(p2, t1)).div_scalar(2.0),
        outputs,
        update: StateUpdate::None,
    }
}
