//! Barlow Twins (Zbontar et al. 2021): standardise each embedding dimension over the batch,
//! form the D×D cross-correlation matrix C of the two views, and drive it to the identity:
//! `Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij²`. The diagonal makes views agree (invariance); the
//! off-diagonal decorrelates dimensions (redundancy reduction). With λ = 0 nothing stops every
//! dimension encoding the same thing: dimensional collapse.

use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views};
use crate::config::{Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use crate::metrics::diagnostics::column_mean_var;
use burn::tensor::Tensor;

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::Barlow,
    title: "Barlow Twins (redundancy reduction)",
    knobs: &[Knob::new(Key::Lambda), Knob::new(Key::RedundancyOnly)],
    metrics: &[Extra::Invariance, Extra::Redundancy],
    candidates: None,
    forward,
    measure,
};

/// Per-dimension standardisation over the batch (BN without affine). `[n, d] → [n, d]`
pub fn standardize(z: Tensor<2>) -> Tensor<2> {
    let mean = z.clone().mean_dim(0); // [1, d]
    let centred = z - mean;
    let var = centred.clone().square().mean_dim(0); // [1, d]
    centred / var.add_scalar(1e-5).sqrt()
}

/// Cross-correlation of standardised views. `[n, d], [n, d] → [d, d]`
pub fn cross_correlation(z1: Tensor<2>, z2: Tensor<2>) -> Tensor<2> {
    let [n, _] = z1.dims();
    standardize(z1)
        .transpose()
        .matmul(standardize(z2))
        .div_scalar(n as f64)
}

/// The two terms `(invariance, redundancy)` of the loss, each `[1]`.
pub fn barlow_terms(z1: Tensor<2>, z2: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
    let c = cross_correlation(z1, z2); // [d, d]
    let [d, _] = c.dims();
    let eye = Tensor::<2>::eye(d, &c.device());
    let on_diag = (c.clone() * eye.clone()).sum_dim(1); // [d, 1] the diagonal
    let invariance = on_diag.neg().add_scalar(1.0).square().sum();
    let off = c * eye.neg().add_scalar(1.0);
    (invariance, off.square().sum())
}

/// `Σ (1 − C_ii)² + λ Σ_{i≠j} C_ij²`. `→ [1]`
pub fn barlow_loss(z1: Tensor<2>, z2: Tensor<2>, lambda: f64) -> Tensor<1> {
    let (invariance, redundancy) = barlow_terms(z1, z2);
    invariance + redundancy.mul_scalar(lambda)
}

pub fn forward(learner: &Learner, Views { x1, x2, .. }: Views, config: &RunConfig) -> Forward {
    let (h1, z1) = learner.online.embed(x1, config.projector_norm()); // [batch, out]
    let (_, z2) = learner.online.embed(x2, config.projector_norm());
    let outputs = vec![h1, z1.clone(), z2.clone()];
    let loss = if config.redundancy_only {
        barlow_terms(z1, z2).1.mul_scalar(config.lambda)
    } else {
        barlow_loss(z1, z2, config.lambda)
    };
    Forward {
        loss,
        outputs,
        update: StateUpdate::None,
        halves: None,
    }
}

/// The loss's two terms on the probe's fixed views.
fn measure(p: &Probed) -> Result<MethodExtras> {
    let (invariance, redundancy) = probe_terms(p.z_a, p.z_b, p.config.out_dim);
    Ok(MethodExtras::numbers(vec![
        (Extra::Invariance, invariance),
        (Extra::Redundancy, redundancy),
    ]))
}

/// The two terms `(invariance, redundancy)` on the probe's fixed view pairs `a, b: [n, d]`, in
/// f64 on the host.
fn probe_terms(a: &[f32], b: &[f32], d: usize) -> (f64, f64) {
    let n = a.len() / d.max(1);
    if n < 2 {
        return (0.0, 0.0);
    }
    let standardize = |x: &[f32]| -> Vec<f64> {
        let mut out: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        for c in 0..d {
            let (mean, var) = column_mean_var(&out, d, c);
            let sd = (var + 1e-5).sqrt();
            out.iter_mut()
                .skip(c)
                .step_by(d)
                .for_each(|v| *v = (*v - mean) / sd);
        }
        out
    };
    let (sa, sb) = (standardize(a), standardize(b));
    let (mut inv, mut red) = (0.0, 0.0);
    for i in 0..d {
        for j in 0..d {
            let c: f64 = (0..n).map(|r| sa[r * d + i] * sb[r * d + j]).sum::<f64>() / n as f64;
            if i == j {
                inv += (1.0 - c).powi(2);
            } else {
                red += c * c;
            }
        }
    }
    (inv, red)
}
