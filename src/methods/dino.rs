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

use super::l2_normalize;
use super::parallel::{Halves, two_views};
use super::{Forward, Learner, StateUpdate};
use crate::config::{Centering, Key, Knob, RunConfig};
use crate::metrics::Extra;
use crate::model::Network;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Int, Tensor};

/// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order).
pub const METRICS: &[Extra] = &[
    Extra::TeacherEntropy,
    Extra::Kl,
    Extra::EmaMomentum,
    Extra::Koleo,
];

/// The knobs the app shows for this method, in order.
pub const KNOBS: &[Knob] = &[
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

pub fn forward(learner: &Learner, x1: Tensor<2>, x2: Tensor<2>, config: &RunConfig) -> Forward {
    let online = &learner.online;
    let bn = config.projector_norm();
    let center = learner.state.center.clone();
    let tau_s = config.student_temperature;
    // DINOv2's KoLeo on each view's representation (it sums the term over the two global
    // crops): each half of the loss carries its view's.
    let with_koleo = |loss: Tensor<1>, h: &Tensor<2>| {
        if config.koleo > 0.0 {
            loss + koleo(h.clone()).mul_scalar(config.koleo)
        } else {
            loss
        }
    };
    let teacher_logits =
        |teacher: &Network, x: Tensor<2>| teacher.prototype_logits(teacher.embed(x, bn).1).detach();
    // Each view's student matches the *other* view's teacher: the term of view 1's student
    // needs view 2's teacher logits only, detached.
    let Some(teacher) = &learner.teacher else {
        let (h1, z1) = online.embed(x1.clone(), bn); // [batch, out]
        let (h2, z2) = online.embed(x2.clone(), bn);
        let (s1, s2) = (
            online.prototype_logits(z1.clone()),
            online.prototype_logits(z2.clone()),
        );
        let t1 = teacher_logits(online, x1.without_autodiff());
        let t2 = teacher_logits(online, x2.without_autodiff());
        let p1 = teacher_targets(t1.clone(), center.clone(), config);
        let p2 = teacher_targets(t2.clone(), center, config);
        let loss = (dino_loss(p1, s2, tau_s) + dino_loss(p2, s1, tau_s)).div_scalar(2.0);
        return Forward {
            loss: with_koleo(with_koleo(loss, &h1), &h2),
            outputs: vec![h1, z1, z2],
            update: StateUpdate::Center(Tensor::cat(vec![t1, t2], 0)),
            halves: None,
        };
    };
    // With an EMA teacher the two terms are independent: one view per core, forward and back.
    let first = (x1.clone(), x2.clone().without_autodiff());
    let second = (x2, x1.without_autodiff());
    let ((h1, z1, half1, t2), (_, z2, half2, t1), twin) =
        two_views(learner, first, second, |net, (x, other)| {
            let (h, z) = net.embed(x, bn); // [batch, out]
            let s = net.prototype_logits(z.clone()); // [batch, K]
            let t_other = teacher_logits(teacher, other);
            let p_other = teacher_targets(t_other.clone(), center.clone(), config);
            let half = with_koleo(dino_loss(p_other, s, tau_s).div_scalar(2.0), &h);
            (h, z, half, t_other)
        });
    let halves = Halves {
        a: half1,
        b: half2,
        twin,
    };
    Forward {
        loss: halves.total(),
        outputs: vec![h1, z1, z2],
        update: StateUpdate::Center(Tensor::cat(vec![t1, t2], 0)),
        halves: Some(halves),
    }
}
