//! SimSiam (Chen & He 2021): one shared encoder + projector, a predictor on one branch and a
//! stop-gradient on the other: `L = D(p1, sg(z2))/2 + D(p2, sg(z1))/2` with D the negative
//! cosine. The stop-gradient is what prevents collapse; switch it off and the loss falls to −1
//! while every output becomes the same vector.

use super::parallel::symmetric;
use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views, l2_normalize};
use crate::config::{Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use crate::metrics::diagnostics::paired_cosine;
use crate::model::Network;
use burn::tensor::Tensor;

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::SimSiam,
    title: "SimSiam (predictor + stop-gradient)",
    knobs: &[
        Knob::new(Key::StopGradient),
        Knob::new(Key::Predictor),
        Knob::new(Key::PredictorBn),
    ],
    metrics: &[Extra::PredCos],
    candidates: None,
    forward,
    measure,
};

/// Negative cosine similarity, averaged over the batch. `p, z: [n, d] → [1]`
pub fn negative_cosine(p: Tensor<2>, z: Tensor<2>) -> Tensor<1> {
    (l2_normalize(p) * l2_normalize(z)).sum_dim(1).mean().neg()
}

/// One view through the network: `[batch, in] →` its representation h, projection z and
/// prediction p.
struct Branch {
    h: Tensor<2>,
    z: Tensor<2>,
    p: Tensor<2>,
}

pub fn forward(learner: &Learner, Views { x1, x2, .. }: Views, config: &RunConfig) -> Forward {
    let branch = |net: &Network, x: Tensor<2>| {
        let (h, z) = net.embed(x, config.projector_norm());
        let p = net.predict(z.clone(), config.predictor, config.predictor_norm());
        Branch { h, z, p }
    };
    let sg = |z: &Tensor<2>| match config.stop_gradient {
        true => z.clone().detach(),
        false => z.clone(),
    };
    // L = D(p₁, sg(z₂))/2 + D(p₂, sg(z₁))/2
    let term = |a: &Branch, b: &Branch| negative_cosine(a.p.clone(), sg(&b.z)).div_scalar(2.0);
    symmetric(learner, (x1, x2), config.stop_gradient, branch, term)
        .forward(|a, b| (vec![a.h, a.p, b.p], StateUpdate::None))
}

/// How well the predictor maps one view onto the other (−loss at the probe), and the pulls of
/// its forces (each half's weight 1/2).
fn measure(p: &Probed) -> Result<MethodExtras> {
    let predictions = p.predict(p.z_a, p.probe.n)?;
    let d = p.config.out_dim;
    Ok(MethodExtras {
        forces: Some(p.pull(&predictions, p.z_b, 0.5)),
        ..MethodExtras::numbers(vec![(
            Extra::PredCos,
            paired_cosine(&predictions, p.z_b, d),
        )])
    })
}
