//! SimSiam (Chen & He 2021): one shared encoder + projector, a predictor on one branch and a
//! stop-gradient on the other: `L = D(p1, sg(z2))/2 + D(p2, sg(z1))/2` with D the negative
//! cosine. The stop-gradient is what prevents collapse; switch it off and the loss falls to −1
//! while every output becomes the same vector.

use super::parallel::{Halves, two_views};
use super::{Forward, Learner, StateUpdate, l2_normalize};
use crate::config::RunConfig;
use crate::config::{Key, Knob};
use crate::metrics::Extra;
use crate::model::Network;
use burn::tensor::Tensor;

/// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order).
pub const METRICS: &[Extra] = &[Extra::PredCos];

/// The knobs the app shows for this method, in order.
pub const KNOBS: &[Knob] = &[
    Knob::new(Key::StopGradient),
    Knob::new(Key::Predictor),
    Knob::new(Key::PredictorBn),
];

/// Negative cosine similarity, averaged over the batch. `p, z: [n, d] → [1]`
pub fn negative_cosine(p: Tensor<2>, z: Tensor<2>) -> Tensor<1> {
    (l2_normalize(p) * l2_normalize(z)).sum_dim(1).mean().neg()
}

pub fn forward(learner: &Learner, x1: Tensor<2>, x2: Tensor<2>, config: &RunConfig) -> Forward {
    // encoder + projector → z, predictor → p: `[batch, in] → ([batch, feat], z, p)`
    let branch = |net: &Network, x: Tensor<2>| {
        let (h, z) = net.embed(x, config.projector_norm());
        let p = net.predict(z.clone(), config.predictor, config.predictor_norm());
        (h, z, p)
    };
    if config.stop_gradient {
        // Each half sees the other view only detached: one view per core, forward and back.
        let ((h1, z1, p1), (_, z2, p2), twin) = two_views(learner, x1, x2, branch);
        let halves = Halves {
            a: negative_cosine(p1.clone(), z2.detach()).div_scalar(2.0),
            b: negative_cosine(p2.clone(), z1.detach()).div_scalar(2.0),
            twin,
        };
        return Forward {
            loss: halves.total(),
            outputs: vec![h1, p1, p2],
            update: StateUpdate::None,
            halves: Some(halves),
        };
    }
    // Without it, both halves differentiate through both views: one graph.
    let (h1, z1, p1) = branch(&learner.online, x1);
    let (_, z2, p2) = branch(&learner.online, x2);
    Forward {
        loss: (negative_cosine(p1.clone(), z2) + negative_cosine(p2.clone(), z1)).div_scalar(2.0),
        outputs: vec![h1, p1, p2],
        update: StateUpdate::None,
        halves: None,
    }
}
