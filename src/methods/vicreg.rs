//! VICReg (Bardes, Ponce & LeCun 2022): three terms on the two views' embeddings, each with its
//! own weight, no negatives, no predictor, no stop-gradient, no EMA.
//! - invariance: the mean squared error between the views' embeddings (pulls views together);
//! - variance: a hinge `max(0, 1 − std)` on each dimension's std over the batch, per view
//!   (keeps every dimension spread: without it, the invariance term alone is satisfied by a
//!   constant, and the embedding collapses to a point);
//! - covariance: the squared off-diagonal covariances / d, per view (decorrelates dimensions:
//!   against dimensional collapse).
//!
//! The paper weighs them 25 / 25 / 1 with ε = 1e-4 inside the std's square root.

use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views, scalar};
use crate::config::{Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use burn::tensor::Tensor;

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::Vicreg,
    title: "VICReg (variance, invariance, covariance)",
    knobs: &[
        Knob::new(Key::InvarianceWeight),
        Knob::new(Key::VarianceWeight),
        Knob::new(Key::CovarianceWeight),
    ],
    metrics: &[
        Extra::VicInvariance,
        Extra::VicVariance,
        Extra::VicCovariance,
    ],
    candidates: None,
    forward,
    measure,
};

/// ε inside the std's square root (the paper's 1e-4): a finite gradient at std = 0.
pub const EPSILON: f64 = 1e-4;

/// Mean squared error over every element. `[n, d], [n, d] → [1]`
pub fn invariance(z1: Tensor<2>, z2: Tensor<2>) -> Tensor<1> {
    (z1 - z2).square().mean()
}

/// `mean_k max(0, 1 − √(Var_k(z) + ε))`, the variance unbiased over the batch.
/// `[n, d] → [1]`
pub fn variance(z: Tensor<2>) -> Tensor<1> {
    let [n, _] = z.dims();
    let centred = z.clone() - z.mean_dim(0); // [n, d]
    let var = centred
        .square()
        .sum_dim(0)
        .div_scalar((n.max(2) - 1) as f64); // [1, d]
    var.add_scalar(EPSILON)
        .sqrt()
        .neg()
        .add_scalar(1.0)
        .clamp_min(0.0)
        .mean()
}

/// `Σ_{i≠j} C_ij² / d` with C the (unbiased) covariance over the batch. `[n, d] → [1]`
pub fn covariance(z: Tensor<2>) -> Tensor<1> {
    let [n, d] = z.dims();
    let centred = z.clone() - z.mean_dim(0); // [n, d]
    let cov = centred
        .clone()
        .transpose()
        .matmul(centred)
        .div_scalar((n.max(2) - 1) as f64); // [d, d]
    let off_diagonal = cov.clone() * Tensor::<2>::eye(d, &cov.device()).neg().add_scalar(1.0);
    off_diagonal.square().sum().div_scalar(d as f64)
}

/// The three terms `(invariance, variance, covariance)` as the paper sums them: variance and
/// covariance are each the sum of both views' terms, the variance's halved.
pub fn vicreg_terms(z1: Tensor<2>, z2: Tensor<2>) -> (Tensor<1>, Tensor<1>, Tensor<1>) {
    let inv = invariance(z1.clone(), z2.clone());
    let var = (variance(z1.clone()) + variance(z2.clone())).div_scalar(2.0);
    let cov = covariance(z1) + covariance(z2);
    (inv, var, cov)
}

/// `λ·inv + μ·var + ν·cov` (25 / 25 / 1 in the paper). `→ [1]`
pub fn vicreg_loss(z1: Tensor<2>, z2: Tensor<2>, weights: [f64; 3]) -> Tensor<1> {
    let (inv, var, cov) = vicreg_terms(z1, z2);
    inv.mul_scalar(weights[0]) + var.mul_scalar(weights[1]) + cov.mul_scalar(weights[2])
}

/// The run's weights `[λ, μ, ν]`.
pub fn weights(config: &RunConfig) -> [f64; 3] {
    [
        config.invariance_weight,
        config.variance_weight,
        config.covariance_weight,
    ]
}

pub fn forward(learner: &Learner, Views { x1, x2, .. }: Views, config: &RunConfig) -> Forward {
    let norm = config.projector_norm();
    let (h1, z1) = learner.online.embed(x1, norm); // [batch, out]
    let (_, z2) = learner.online.embed(x2, norm);
    Forward {
        loss: vicreg_loss(z1.clone(), z2.clone(), weights(config)),
        outputs: vec![h1, z1, z2],
        update: StateUpdate::None,
        halves: None,
    }
}

/// The loss's three terms on the probe's fixed views.
fn measure(p: &Probed) -> Result<MethodExtras> {
    let (inv, var, cov) = vicreg_terms(p.tensor(p.z_a), p.tensor(p.z_b));
    Ok(MethodExtras::numbers(vec![
        (Extra::VicInvariance, scalar(inv)?),
        (Extra::VicVariance, scalar(var)?),
        (Extra::VicCovariance, scalar(cov)?),
    ]))
}
