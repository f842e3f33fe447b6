//! DINO (Caron et al. 2021): a student matches the output distribution of an EMA teacher over K
//! prototypes. The teacher's logits are *centred* (a running mean c subtracted: stops one
//! prototype from dominating) and *sharpened* (a low temperature τ_t < τ_s: stops the output
//! from going uniform). Each alone collapses; together they balance.
//!
//! DINOv2 (Oquab et al. 2023) is the same loop with two ingredients of its own, both settings
//! here: Sinkhorn-Knopp normalisation of the teacher's outputs instead of the running centre
//! (`centering = sinkhorn`: every prototype gets an equal share of the batch, with no memory of
//! earlier batches), and the KoLeo regulariser on the student's representations (`koleo`: the
//! Kozachenko-Leonenko entropy estimator, which pushes each sample away from its nearest
//! neighbour). DINOv2's multi-crop, iBOT masked-token loss and ViT are out of reach of a toy
//! MLP and not here.

use super::parallel::symmetric;
use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views};
use super::{l2_normalize, scalar, to_vec};
use crate::config::{Centering, Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use crate::model::Network;
use crate::run::snapshot::PrototypeDistributions;
use burn::module::Module;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Int, Tensor};

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::Dino,
    title: "DINO (self-distillation, centering + sharpening)",
    knobs: KNOBS,
    metrics: METRICS,
    candidates: None,
    forward,
    measure,
};

/// DINOv2: the same loop, its own defaults (see the module's doc).
pub const SPEC_V2: MethodSpec = MethodSpec {
    method: Method::DinoV2,
    title: "DINOv2 (DINO + KoLeo + Sinkhorn-Knopp centering)",
    ..SPEC
};

const METRICS: &[Extra] = &[
    Extra::TeacherEntropy,
    Extra::Kl,
    Extra::EmaMomentum,
    Extra::Koleo,
];

const KNOBS: &[Knob] = &[
    Knob::new(Key::Centering),
    Knob::new(Key::Sharpening),
    Knob::new(Key::StudentTemperature),
    Knob::new(Key::TeacherTemperature),
    Knob::new(Key::CenterMomentum),
    Knob::labelled(Key::Momentum, "teacher momentum"),
    Knob::new(Key::MomentumSchedule),
    Knob::new(Key::Prototypes),
    Knob::new(Key::Koleo),
];

/// Sinkhorn-Knopp iterations on the teacher's outputs (DINOv2's `n_iterations`).
pub const SINKHORN_ITERATIONS: usize = 3;

/// The temperatures and centre actually used, given the two toggles.
pub fn teacher_temperature(config: &RunConfig) -> f64 {
    if config.sharpening {
        config.teacher_temperature
    } else {
        config.student_temperature
    }
}

/// Teacher probabilities `softmax((t − c)/τ_t)`. `t: [n, K]`, `center: [1, K]` → `[n, K]`
pub fn teacher_probs(t: Tensor<2>, center: Option<Tensor<2>>, temperature: f64) -> Tensor<2> {
    let t = match center {
        Some(c) => t - c,
        None => t,
    };
    softmax(t.div_scalar(temperature), 1)
}

/// DINOv2's teacher targets: `exp(t/τ_t)` scaled alternately so that every prototype gets
/// 1/K of the batch's mass and every sample 1/n, `iterations` times, ending on the samples
/// (each row a distribution). Replaces the running centre: no prototype can take the batch.
/// `t: [n, K]` logits → `[n, K]` rows summing to 1.
pub fn sinkhorn_knopp(t: Tensor<2>, temperature: f64, iterations: usize) -> Tensor<2> {
    let [n, k] = t.dims();
    let scaled = t.div_scalar(temperature);
    // The largest logit factored out: it cancels in the normalisations, and exp cannot overflow.
    let max = scaled.clone().max();
    let mut q = (scaled - max.unsqueeze_dim::<2>(0)).exp(); // [n, K]
    let tiny = 1e-30;
    q = q.clone() / q.sum().clamp_min(tiny).unsqueeze_dim::<2>(0);
    for _ in 0..iterations {
        // each prototype's column to 1/K, then each sample's row to 1/n
        q = q.clone() / q.sum_dim(0).clamp_min(tiny).mul_scalar(k as f64);
        q = q.clone() / q.sum_dim(1).clamp_min(tiny).mul_scalar(n as f64);
    }
    q.mul_scalar(n as f64)
}

/// KoLeo (Sablayrolles et al. 2019, in DINOv2): `−(1/n) Σᵢ log(minⱼ≠ᵢ ‖x̂ᵢ − x̂ⱼ‖ + 1e-8)` on
/// the ℓ2-normalised rows. The nearest neighbour is found without a graph (as DINOv2 does);
/// the distance to it carries the gradient. `x: [n, f] → [1]`
pub fn koleo(x: Tensor<2>) -> Tensor<1> {
    let [n, _] = x.dims();
    let x = l2_normalize(x); // [n, f]
    let similarity = x.clone().detach().matmul(x.clone().detach().transpose()); // [n, n]
    let own = Tensor::<2>::eye(n, &x.device()).mul_scalar(-3.0); // never one's own neighbour
    let nearest: Tensor<1, Int> = (similarity + own).argmax(1).reshape([n]); // [n]
    let neighbours = x.clone().select(0, nearest); // [n, f]
    let distance = (x - neighbours)
        .square()
        .sum_dim(1)
        .add_scalar(1e-12)
        .sqrt(); // [n, 1]
    distance.add_scalar(1e-8).log().mean().neg()
}

/// The teacher's targets as the run's centering makes them. `t: [n, K]` logits,
/// `center: [1, K]` → `[n, K]` distributions.
pub fn teacher_targets(t: Tensor<2>, center: Option<Tensor<2>>, config: &RunConfig) -> Tensor<2> {
    let tau_t = teacher_temperature(config);
    match config.centering {
        Centering::Ema => teacher_probs(t, center, tau_t),
        Centering::Sinkhorn => sinkhorn_knopp(t, tau_t, SINKHORN_ITERATIONS),
        Centering::Off => teacher_probs(t, None, tau_t),
    }
}

/// Cross-entropy `−Σ_k P_t log P_s`, averaged over the batch.
/// `teacher: [n, K]` probabilities, `student: [n, K]` logits → `[1]`.
pub fn dino_loss(teacher: Tensor<2>, student: Tensor<2>, student_temperature: f64) -> Tensor<1> {
    let log_ps = log_softmax(student.div_scalar(student_temperature), 1);
    (teacher * log_ps).sum_dim(1).mean().neg()
}

/// `c ← m·c + (1 − m)·mean(teacher logits)`. `[1, K], [n, K] → [1, K]`
pub fn update_center(center: Tensor<2>, logits: Tensor<2>, momentum: f64) -> Tensor<2> {
    let batch_mean = logits.mean_dim(0); // [1, K]
    center.mul_scalar(momentum) + batch_mean.mul_scalar(1.0 - momentum)
}

/// One view: the student's representation h, projection z and prototype logits s, the
/// teacher's prototype logits t (no gradient), and DINOv2's KoLeo term on h (0 when off).
struct Branch {
    h: Tensor<2>,
    z: Tensor<2>,
    s: Tensor<2>,
    t: Tensor<2>,
    koleo: Option<Tensor<1>>,
}

pub fn forward(learner: &Learner, Views { x1, x2, .. }: Views, config: &RunConfig) -> Forward {
    let bn = config.projector_norm();
    let teacher = learner.teacher();
    let center = learner.state.center.clone();
    let branch = |student: &Network, x: Tensor<2>| {
        let t = teacher.prototype_logits(teacher.embed(x.clone().without_autodiff(), bn).1);
        let (h, z) = student.embed(x, bn); // [batch, feat], [batch, out]
        let s = student.prototype_logits(z.clone()); // [batch, K]
        // DINOv2 sums KoLeo over the two global crops' representations.
        let koleo = (config.koleo > 0.0).then(|| koleo(h.clone()).mul_scalar(config.koleo));
        Branch {
            h,
            z,
            s,
            t: t.detach(),
            koleo,
        }
    };
    // Each view's student matches the *other* view's centred, sharpened teacher:
    // L = ½ H(P_t(x₂), P_s(x₁)) + ½ H(P_t(x₁), P_s(x₂)).
    let term = |student: &Branch, other: &Branch| {
        let targets = teacher_targets(other.t.clone(), center.clone(), config);
        let half = dino_loss(targets, student.s.clone(), config.student_temperature);
        match &student.koleo {
            Some(koleo) => half.div_scalar(2.0) + koleo.clone(),
            None => half.div_scalar(2.0),
        }
    };
    // The teacher never gets a gradient: each term's reaches its student's view only.
    symmetric(learner, (x1, x2), true, branch, term).forward(|a, b| {
        let logits = Tensor::cat(vec![a.t, b.t], 0); // [2·batch, K] for the centre's EMA
        (vec![a.h, a.z, b.z], StateUpdate::Center(logits))
    })
}

/// On the clean probe: the mean per-sample entropy of the teacher's targets, the mean
/// KL(teacher ‖ student), the EMA momentum, KoLeo of the representations, and both
/// distributions of the first probe samples.
fn measure(p: &Probed) -> Result<MethodExtras> {
    let (config, learner) = (p.config, p.learner);
    let student = learner.online.valid();
    let teacher = learner.teacher();
    let x = p.tensor(&p.probe.inputs);
    let bn = config.projector_norm();
    let t = teacher.prototype_logits(teacher.embed(x.clone(), bn).1); // [n, K]
    let s = student.prototype_logits(student.embed(x, bn).1); // [n, K]
    let pt = teacher_targets(t, learner.state.center.clone(), config); // [n, K]
    let log_pt = pt.clone().clamp_min(1e-12).log();
    let log_ps = log_softmax(s.div_scalar(config.student_temperature), 1);
    let entropy = (pt.clone() * log_pt.clone()).sum_dim(1).mean().neg();
    let kl = (pt.clone() * (log_pt - log_ps.clone())).sum_dim(1).mean();
    let prototypes = PrototypeDistributions::of(
        &to_vec(pt)?,
        &to_vec(log_ps.exp())?,
        config.prototypes,
        &p.probe.labels,
    );
    Ok(MethodExtras {
        prototypes: Some(prototypes),
        ..MethodExtras::numbers(vec![
            (Extra::TeacherEntropy, scalar(entropy)?),
            (Extra::Kl, scalar(kl)?),
            (Extra::EmaMomentum, p.ema_momentum()),
            (Extra::Koleo, scalar(koleo(p.tensor(p.h)))?),
        ])
    })
}
