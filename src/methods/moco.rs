//! MoCo v2 (He et al. 2020, Chen et al. 2020): queries from the online encoder, keys from a
//! momentum (EMA) key encoder, and InfoNCE against the positive key plus a FIFO queue of K
//! past keys. The queue decouples the number of negatives from the batch size; the slowly
//! moving key encoder keeps the queued keys consistent.

use super::{
    Forward, Learner, StateUpdate, host, host_loss, l2_normalize, logsumexp, on_cpu, to_vec,
};
use crate::config::RunConfig;
use crate::config::{Key, Knob};
use crate::metrics::Extra;
use crate::rng::Rng;
use burn::tensor::{Device, Tensor, TensorData};

/// The numbers it reports beside the common diagnostics (`metrics.csv` columns, in order).
pub const METRICS: &[Extra] = &[Extra::Temperature, Extra::EmaMomentum, Extra::MiBound];

/// The knobs the app shows for this method, in order.
pub const KNOBS: &[Knob] = &[
    Knob::new(Key::Temperature),
    Knob::labelled(Key::Momentum, "key-encoder momentum"),
    Knob::new(Key::QueueSize),
];

/// How many candidates each query's softmax chooses among: its positive key and the K queued
/// negatives (the queue is always full: it starts with random unit keys).
pub fn candidates(queue_size: usize) -> usize {
    queue_size + 1
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

/// [`info_nce`] as training uses it: on the CPU the value and the gradient with respect to
/// `q` come from the fused host kernel [`host::info_nce_rows`] (see [`host_loss`]); `k` and
/// `queue` carry no gradient in MoCo. `q, k: [n, d]`, `queue: [K, d]` → `[1]`
pub fn info_nce_training(
    q: Tensor<2>,
    k: Tensor<2>,
    queue: Tensor<2>,
    temperature: f64,
) -> Tensor<1> {
    if !on_cpu(&q.device()) {
        return info_nce(q, k, queue, temperature);
    }
    let [_, d] = q.dims();
    let host_keys =
        to_vec(l2_normalize(k.clone()).detach()).and_then(|k| Ok((k, to_vec(queue.clone())?)));
    let fused = host_keys.ok().and_then(|(k_host, queue_host)| {
        host_loss(l2_normalize(q.clone()), |q_host| {
            host::info_nce_rows(q_host, &k_host, &queue_host, d, temperature)
        })
    });
    fused.unwrap_or_else(|| info_nce(q, k, queue, temperature))
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

pub fn forward(learner: &Learner, x1: Tensor<2>, x2: Tensor<2>, config: &RunConfig) -> Forward {
    let (_, q) = learner.online.embed(x1, config.projector_norm()); // [batch, out]
    let x2 = x2.without_autodiff();
    // Keys come from the momentum encoder, without a graph (MoCo never back-propagates into k).
    let k = match &learner.teacher {
        Some(key_encoder) => key_encoder.embed(x2, config.projector_norm()).1,
        None => learner.online.embed(x2, config.projector_norm()).1.detach(),
    };
    let k = l2_normalize(k); // [batch, out]
    let queue = learner
        .state
        .queue
        .clone()
        .unwrap_or_else(|| k.clone().narrow(0, 0, 1));
    Forward {
        loss: info_nce_training(q.clone(), k.clone(), queue, config.temperature),
        outputs: vec![q],
        update: StateUpdate::Enqueue(k),
        halves: None,
    }
}
