//! BYOL (Grill et al. 2020): the online network (encoder, projector, predictor) regresses the
//! projection of the other view made by a target network, the online network's EMA, with no
//! gradient into the target. No negatives: the predictor and the slow target are what keep it
//! from collapsing (remove the predictor and set the momentum to 0: it collapses).

use super::parallel::{Halves, two_views};
use super::{Forward, Learner, StateUpdate, l2_normalize};
use crate::config::RunConfig;
use crate::config::{Key, Knob};
use crate::metrics::Extra;
use crate::model::Network;
use burn::tensor::Tensor;

/// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order).
pub const METRICS: &[Extra] = &[Extra::EmaMomentum];

/// The knobs the app shows for this method, in order.
pub const KNOBS: &[Knob] = &[
    Knob::new(Key::StopGradient),
    Knob::new(Key::Predictor),
    Knob::new(Key::PredictorBn),
    Knob::labelled(Key::Momentum, "target momentum"),
    Knob::new(Key::MomentumSchedule),
];

/// `‖p̂ − ẑ‖² = 2 − 2·cos(p, z)`, averaged over the batch. `p, z: [n, d] → [1]`
pub fn regression_loss(p: Tensor<2>, z: Tensor<2>) -> Tensor<1> {
    let cos = (l2_normalize(p) * l2_normalize(z)).sum_dim(1); // [n, 1]
    cos.mul_scalar(-2.0).add_scalar(2.0).mean()
}

pub fn forward(learner: &Learner, x1: Tensor<2>, x2: Tensor<2>, config: &RunConfig) -> Forward {
    let bn = config.projector_norm();
    // online encoder + projector → z, predictor → p: `[batch, in] → ([batch, feat], z, p)`
    let online_branch = |net: &Network, x: Tensor<2>| {
        let (h, z) = net.embed(x, bn);
        let p = net.predict(z.clone(), config.predictor, config.predictor_norm());
        (h, z, p)
    };
    match (&learner.teacher, config.stop_gradient) {
        // The paper: each view's prediction regresses the EMA target's projection of the
        // other view, with no gradient into the target. Each half depends on one view's online
        // graph only: one view per core, forward and back.
        (Some(target), true) => {
            // Each view with the other view's input, for its target.
            let first = (x1.clone(), x2.clone().without_autodiff());
            let second = (x2, x1.without_autodiff());
            let ((h1, p1, t2), (_, p2, t1), twin) =
                two_views(learner, first, second, |net, (x, other)| {
                    let (h, _, p) = online_branch(net, x);
                    (h, p, target.embed(other, bn).1)
                });
            let halves = Halves {
                a: regression_loss(p1.clone(), t2),
                b: regression_loss(p2.clone(), t1),
                twin,
            };
            Forward {
                loss: halves.total(),
                outputs: vec![h1, p1, p2],
                update: StateUpdate::None,
                halves: Some(halves),
            }
        }
        (teacher, stop_gradient) => {
            let (h1, z1, p1) = online_branch(&learner.online, x1);
            let (_, z2, p2) = online_branch(&learner.online, x2);
            let (t1, t2) = match (teacher, stop_gradient) {
                (None, true) => (z1.detach(), z2.detach()),
                // Stop-gradient off: the target is the online network itself, with gradient.
                _ => (z1, z2),
            };
            // Symmetrised: L(p1, t2) + L(p2, t1), as in the paper.
            Forward {
                loss: regression_loss(p1.clone(), t2) + regression_loss(p2.clone(), t1),
                outputs: vec![h1, p1, p2],
                update: StateUpdate::None,
                halves: None,
            }
        }
    }
}
