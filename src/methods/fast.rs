//! The fast paths of training on the CPU, each equal to a formula in a method file and tested
//! against it (`tests/losses.rs`): NT-Xent and MoCo's InfoNCE computed with their gradients by
//! the fused host kernels of [`super::host`] and handed back to Burn's autodiff. A method file
//! takes the fast path where it runs and its own formula elsewhere. (The other
//! fast path, each view of BYOL, SimSiam and DINO on its own core, is [`super::parallel`].)

use super::{host, l2_normalize, tensor2, to_vec};
use burn::tensor::{Device, Tensor};

/// Whether `device` (with or without autodiff) is the CPU backend, where the [`host`]
/// kernels run.
pub fn on_cpu(device: &Device) -> bool {
    device.clone().without_autodiff() == Device::flex()
}

/// A loss computed on the host together with its exact gradient with respect to `u` (the
/// [`host`] kernels), handed to Burn's autodiff: `Σ u ⊙ g` with `g` constant has gradient `g`,
/// and shifted by a constant its value is the kernel's loss. Everything upstream of `u` stays
/// Burn's autodiff. `None` off the CPU (a GPU keeps its data where it is) or when `u` cannot be
/// read back: the caller then uses its autodiff formula. `u: [rows, d] → [1]`
pub fn host_loss(
    u: Tensor<2>,
    kernel: impl FnOnce(&[f32]) -> (f64, Vec<f32>),
) -> Option<Tensor<1>> {
    let device = u.device();
    if !on_cpu(&device) {
        return None;
    }
    let [rows, _] = u.dims();
    let host_u = to_vec(u.clone().detach()).ok()?;
    let (loss, grad) = kernel(&host_u);
    let offset: f64 = host_u
        .iter()
        .zip(&grad)
        .map(|(&a, &b)| a as f64 * b as f64)
        .sum();
    let grad = tensor2(&grad, rows, &device); // [rows, d], constant
    Some((u * grad).sum().add_scalar(loss - offset))
}

/// NT-Xent over both views stacked as `u: [2n, d]`, ℓ2-normalised (`u[i] ↔ u[i + n]`), value
/// and gradient from the fused host kernel [`host::nt_xent_rows`] (see [`host_loss`]); `None`
/// off the CPU (SimCLR's file then uses the formula). `→ [1]`
pub fn nt_xent_on_host(u: Tensor<2>, temperature: f64) -> Option<Tensor<1>> {
    let [_, d] = u.dims();
    host_loss(u, |u| host::nt_xent_rows(u, d, temperature))
}

/// MoCo's InfoNCE with its value and its gradient with respect to `q` from the fused host
/// kernel [`host::info_nce_rows`] (see [`host_loss`]); `k` and `queue` carry no gradient in
/// MoCo. `None` off the CPU, or where the keys cannot be read back (MoCo's file then uses the
/// formula). `q, k: [n, d]`, `queue: [K, d]` → `[1]`
pub fn info_nce_on_host(
    q: Tensor<2>,
    k: Tensor<2>,
    queue: Tensor<2>,
    temperature: f64,
) -> Option<Tensor<1>> {
    if !on_cpu(&q.device()) {
        return None;
    }
    let [_, d] = q.dims();
    let k_host = to_vec(l2_normalize(k).detach()).ok()?;
    let queue_host = to_vec(queue).ok()?;
    host_loss(l2_normalize(q), |q_host| {
        host::info_nce_rows(q_host, &k_host, &queue_host, d, temperature)
    })
}
