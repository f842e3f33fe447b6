//! Batch normalisation over the batch axis (and layer normalisation, its per-sample twin) that always normalises with the *current batch's*
//! statistics.
//!
//! Why not `burn::nn::BatchNorm`: it switches to running statistics off the autodiff device,
//! and its running state is shared between clones. Here the EMA teacher and the probe forward
//! run off the autodiff device, and both should see batch statistics as in the papers' training
//! mode (the probe is embedded as one batch of ~1000 samples). Batch statistics are also what
//! makes BN matter for collapse: they couple the samples of a batch.

use crate::cpu::layers::{batch_norm, batch_norm_relu};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct BatchNorm1d {
    /// `[features]`
    pub gamma: Param<Tensor<1>>,
    /// `[features]`
    pub beta: Param<Tensor<1>>,
    pub epsilon: f64,
}

impl BatchNorm1d {
    pub fn new(features: usize, device: &Device) -> Self {
        Self {
            gamma: super::init::param(vec![1.0; features], [features], device),
            beta: super::init::param(vec![0.0; features], [features], device),
            epsilon: 1e-5,
        }
    }

    /// `[batch, features] → [batch, features]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        batch_norm(x, self.gamma.val(), self.beta.val(), self.epsilon)
    }

    /// `relu(bn(x))` in one host op on the CPU path: `[batch, features] → [batch, features]`.
    pub fn forward_relu(&self, x: Tensor<2>) -> Tensor<2> {
        batch_norm_relu(x, self.gamma.val(), self.beta.val(), self.epsilon)
    }

    /// Layer norm with the same γ/β: each sample standardised over its own features, so no
    /// sample's output depends on another's. `[batch, features] → [batch, features]`
    pub fn forward_layer(&self, x: Tensor<2>) -> Tensor<2> {
        let mean = x.clone().mean_dim(1); // [batch, 1]
        let centred = x - mean;
        let var = centred.clone().square().mean_dim(1); // [batch, 1]
        let scaled = centred * var.add_scalar(self.epsilon).sqrt().recip();
        scaled * self.gamma.val().unsqueeze_dim(0) + self.beta.val().unsqueeze_dim(0)
    }
}
