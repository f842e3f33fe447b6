//! DINO (Caron et al. 2021): a student matches the output distribution of an EMA teacher over K
//! prototypes. The teacher's logits are *centred* (a running mean c subtracted: stops one
//! prototype from dominating) and *sharpened* (a low temperature τ_t < τ_s: stops the output
//! from going uniform). Each alone collapses; together they balance.

use super::parallel::{Halves, two_views};
use super::{Forward, Learner, StateUpdate};
use crate::config::RunConfig;
use crate::config::{Key, Knob};
use crate::metrics::Extra;
use crate::model::Network;
use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, softmax};

/// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order).
pub const METRICS: &[Extra] = &[Extra::TeacherEntropy, Extra::Kl, Extra::EmaMomentum];

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
];

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
    let bn = config.projector_bn;
    let center = config
        .centering
        .then(|| learner.state.center.clone())
        .flatten();
    let tau_t = teacher_temperature(config);
    let tau_s = config.student_temperature;
    let teacher_logits =
        |teacher: &Network, x: Tensor<2>| teacher.prototype_logits(teacher.embed(x, bn).1).detach();
    // Each view's student matches the *other* view's teacher: the term of view 1's student
    // needs view 2's teacher logits only, detached.
    let Some(teacher) = &learner.teacher else {
        let (h1, z1) = online.embed(x1.clone(), bn); // [batch, out]
        let (_, z2) = online.embed(x2.clone(), bn);
        let (s1, s2) = (
            online.prototype_logits(z1.clone()),
            online.prototype_logits(z2.clone()),
        );
        let t1 = teacher_logits(online, x1.without_autodiff());
        let t2 = teacher_logits(online, x2.without_autodiff());
        let p1 = teacher_probs(t1.clone(), center.clone(), tau_t);
        let p2 = teacher_probs(t2.clone(), center, tau_t);
        return Forward {
            loss: (dino_loss(p1, s2, tau_s) + dino_loss(p2, s1, tau_s)).div_scalar(2.0),
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
            let p_other = teacher_probs(t_other.clone(), center.clone(), tau_t);
            (h, z, dino_loss(p_other, s, tau_s).div_scalar(2.0), t_other)
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
