//! MoCo v2 (He et al. 2020, Chen et al. 2020): queries from the online encoder, keys from a
//! momentum (EMA) key encoder, and InfoNCE against the positive key plus a FIFO queue of K
//! past keys. The queue decouples the number of negatives from the batch size; the slowly
//! moving key encoder keeps the queued keys consistent.

use super::{Forward, Learner, MethodExtras, MethodSpec, Probed, StateUpdate, Views};
use super::{fast, l2_normalize, logsumexp, to_vec};
use crate::config::{Key, Knob, Method, RunConfig};
use crate::error::Result;
use crate::metrics::Extra;
use crate::rng::Rng;
use crate::run::snapshot::{FORCE_SAMPLES, ForceInputs};
use burn::tensor::{Device, Tensor, TensorData};

/// [`info_nce`] as training uses it: on the CPU its value and gradient from the fused host
/// kernel ([`fast::info_nce_on_host`]). `q, k: [n, d]`, `queue: [K, d]` → `[1]`
pub fn info_nce_training(
    q: Tensor<2>,
    k: Tensor<2>,
    queue: Tensor<2>,
    temperature: f64,
) -> Tensor<1> {
    fast::info_nce_on_host(q.clone(), k.clone(), queue.clone(), temperature)
        .unwrap_or_else(|| info_nce(q, k, queue, temperature))
}

pub const SPEC: MethodSpec = MethodSpec {
    method: Method::Moco,
    title: "MoCo v2 (momentum encoder + queue)",
    knobs: &[
        Knob::new(Key::Temperature),
        Knob::labelled(Key::Momentum, "key-encoder momentum"),
        Knob::new(Key::QueueSize),
    ],
    metrics: &[Extra::Temperature, Extra::EmaMomentum, Extra::MiBound],
    candidates: Some(candidates),
    forward,
    measure,
};

/// How many candidates each query's softmax chooses among: its positive key and the K queued
/// negatives (the queue is always full: it starts with random unit keys).
pub fn candidates(config: &RunConfig) -> usize {
    config.queue_size + 1
}

/// InfoNCE of queries against their positive keys and a queue of negatives.
/// `q, k: [n, d]`, `queue: [K, d]` (already normalised) `→ [1]`.
pub fn info_nce(q: Tensor<2>, k: Tensor<2>, queue: Tensor<2>, temperature: f64) -> Tensor<1> {
    let (q, k) = (l2_normalize(q), l2_normalize(k));
    let positive = (q.clone() * k).sum_dim(1); // [n, 1]
    let negatives = q.matmul(queue.transpose()); // [n, K]
    let logits = Tensor::cat(vec![positive.clone(), negatives], 1).div_scalar(temperature); // [n, 1+K]
    // Cross-entropy with the positive at index 0.
    logsumexp(logits).mean() - positive.div_scalar(temperature).mean()
}

/// The queue MoCo starts with: K random unit vectors. `→ [K, d]`
pub fn random_queue(rng: &mut Rng, k: usize, d: usize, device: &Device) -> Tensor<2> {
    let data: Vec<f32> = (0..k * d).map(|_| rng.normal()).collect();
    let device = device.clone().without_autodiff();
    l2_normalize(Tensor::from_data(TensorData::new(data, [k, d]), &device))
}

/// FIFO: newest keys first, the oldest fall off the end. `[K, d], [n, d] → [K, d]`
pub fn enqueue(queue: Tensor<2>, keys: Tensor<2>, size: usize) -> Tensor<2> {
    let all = Tensor::cat(vec![keys, queue], 0);
    let [rows, _] = all.dims();
    all.narrow(0, 0, size.min(rows))
}

/// Grow (with random unit keys) or shrink (dropping the oldest) the queue to `size`.
pub fn resize(queue: Tensor<2>, size: usize, rng: &mut Rng) -> Tensor<2> {
    let [rows, d] = queue.dims();
    if size <= rows {
        return queue.narrow(0, 0, size);
    }
    let extra = random_queue(rng, size - rows, d, &queue.device());
    Tensor::cat(vec![queue, extra], 0)
}

pub fn forward(learner: &Learner, Views { x1, x2, .. }: Views, config: &RunConfig) -> Forward {
    let (_, q) = learner.online.embed(x1, config.projector_norm()); // [batch, out]
    // Keys come from the momentum encoder, without a graph (MoCo never back-propagates into k).
    let k = learner
        .teacher()
        .embed(x2.without_autodiff(), config.projector_norm())
        .1;
    let k = l2_normalize(k); // [batch, out]
    let queue = learner
        .state
        .queue
        .clone()
        .unwrap_or_else(|| k.clone().narrow(0, 0, 1));
    Forward {
        // `info_nce`; on the CPU a fused kernel with the same value and gradient
        // (`info_nce_training`, tested against `info_nce`).
        loss: info_nce_training(q.clone(), k.clone(), queue, config.temperature),
        outputs: vec![q],
        update: StateUpdate::Enqueue(k),
        halves: None,
    }
}

/// Its numbers, and for its forces the key encoder's keys of the first [`FORCE_SAMPLES`] probe
/// samples' second views (the positives) and the queue (the negatives).
fn measure(p: &Probed) -> Result<MethodExtras> {
    let forces = match &p.learner.state.queue {
        Some(queue) => Some(ForceInputs::Queue {
            keys: p.embed_second_views(&p.learner.teacher(), FORCE_SAMPLES.min(p.probe.n))?,
            queue: std::sync::Arc::new(to_vec(queue.clone())?),
        }),
        None => None,
    };
    Ok(MethodExtras {
        forces,
        ..MethodExtras::numbers(vec![
            (Extra::Temperature, p.config.temperature),
            (Extra::EmaMomentum, p.ema_momentum()),
            (Extra::MiBound, p.mi_bound()),
        ])
    })
}
