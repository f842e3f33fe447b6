//! BYOL (Grill et al. 2020): the online network (encoder, projector, predictor) regresses the
//! projection of the other view made by a target network, the online network's EMA, with no
//! gradient into the target. No negatives: the predictor and the slow target are what keep it
//! from collapsing (remove the predictor and set the momentum to 0: it collapses).

use super::parallel::symmetric;
use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views, l2_normalize};
use crate::config::{Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use crate::model::Network;
use crate::run::snapshot::FORCE_SAMPLES;
use burn::tensor::Tensor;

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::Byol,
    title: "BYOL (predictor + EMA target)",
    knobs: &[
        Knob::new(Key::StopGradient),
        Knob::new(Key::Predictor),
        Knob::new(Key::PredictorBn),
        Knob::labelled(Key::Momentum, "target momentum"),
        Knob::new(Key::MomentumSchedule),
    ],
    metrics: &[Extra::EmaMomentum],
    candidates: None,
    forward,
    measure,
};

/// `‖p̂ − ẑ‖² = 2 − 2·cos(p, z)`, averaged over the batch. `p, z: [n, d] → [1]`
pub fn regression_loss(p: Tensor<2>, z: Tensor<2>) -> Tensor<1> {
    let cos = (l2_normalize(p) * l2_normalize(z)).sum_dim(1); // [n, 1]
    cos.mul_scalar(-2.0).add_scalar(2.0).mean()
}

/// One view: its representation h and prediction p through the online network, and its
/// target t for the other view's prediction.
struct Branch {
    h: Tensor<2>,
    p: Tensor<2>,
    t: Tensor<2>,
}

pub fn forward(learner: &Learner, Views { x1, x2, .. }: Views, config: &RunConfig) -> Forward {
    let bn = config.projector_norm();
    let target = learner.teacher();
    let branch = |net: &Network, x: Tensor<2>| {
        let (h, z) = net.embed(x.clone(), bn);
        let p = net.predict(z.clone(), config.predictor, config.predictor_norm());
        // The paper: the EMA target network's projection, with no gradient into the target.
        // Stop-gradient off: the online projection itself, with gradient.
        let t = match config.stop_gradient {
            true => target.embed(x.without_autodiff(), bn).1,
            false => z,
        };
        Branch { h, p, t }
    };
    // L = ‖p̂₁ − t̂₂‖² + ‖p̂₂ − t̂₁‖², symmetrised as in the paper.
    let term = |a: &Branch, b: &Branch| regression_loss(a.p.clone(), b.t.clone());
    symmetric(learner, (x1, x2), config.stop_gradient, branch, term)
        .forward(|a, b| (vec![a.h, a.p, b.p], StateUpdate::None))
}

/// The target's momentum, and the pulls of its forces: the first probe samples' predictions
/// towards the target's projection of their second views (each half's weight 2).
fn measure(p: &Probed) -> Result<MethodExtras> {
    let (rows, d) = (FORCE_SAMPLES.min(p.probe.n), p.config.out_dim);
    let predictions = p.predict(&p.z_a[..rows * d], rows)?;
    let targets = p.embed_second_views(&p.learner.teacher(), rows)?;
    Ok(MethodExtras {
        forces: Some(p.pull(&predictions, &targets, 2.0)),
        ..MethodExtras::numbers(vec![(Extra::EmaMomentum, p.ema_momentum())])
    })
}
