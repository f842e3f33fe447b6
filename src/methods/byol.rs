//! BYOL (Grill et al. 2020): the online network (encoder, projector, predictor) regresses the
//! projection of the other view made by a target network, the online network's EMA, with no
//! gradient into the target. No negatives: the predictor and the slow target are what keep it
//! from collapsing (remove the predictor and set the momentum to 0: it collapses).

use super::{Forward, Learner, StateUpdate, l2_normalize};
use crate::config::RunConfig;
use burn::tensor::Tensor;

/// `‖p̂ − ẑ‖² = 2 − 2·cos(p, z)`, averaged over the batch. `p, z: [n, d] → [1]`
pub fn regression_loss(p: Tensor<2>, z: Tensor<2>) -> Tensor<1> {
    let cos = (l2_normalize(p) * l2_normalize(z)).sum_dim(1); // [n, 1]
    cos.mul_scalar(-2.0).add_scalar(2.0).mean()
}

pub fn forward(learner: &Learner, x1: Tensor<2>, x2: Tensor<2>, config: &RunConfig) -> Forward {
    let online = &learner.online;
    let (h1, z1) = online.embed(x1.clone(), config.projector_bn); // [batch, out]
    let (_, z2) = online.embed(x2.clone(), config.projector_bn);
    let p1 = online.predict(z1.clone(), config.predictor, config.predictor_bn);
    let p2 = online.predict(z2.clone(), config.predictor, config.predictor_bn);
    let outputs = vec![h1, p1.clone(), p2.clone()];
    let (t1, t2) = match (&learner.teacher, config.stop_gradient) {
        // The paper: targets from the EMA network, no gradient.
        (Some(target), true) => (
            target.embed(x1.without_autodiff(), config.projector_bn).1,
            target.embed(x2.without_autodiff(), config.projector_bn).1,
        ),
        (None, true) => (z1.detach(), z2.detach()),
        // Stop-gradient off: the target is the online network itself, with gradient.
        (_, false) => (z1, z2),
    };
    // Symmetrised: L(p1, t2) + L(p2, t1), as in the paper.
    Forward {
        loss: regression_loss(p1, t2) + regression_loss(p2, t1),
        outputs,
        update: StateUpdate::None,
    }
}
