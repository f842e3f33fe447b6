//! Projector and predictor heads: `Linear → [norm] → ReLU → Linear`.
//!
//! The normalisation is skipped (not removed) when switched off, and batch and layer norm share
//! one γ/β, so toggling or switching its kind mid-run keeps every weight and switching back
//! resumes where it was.

use super::bn::BatchNorm1d;
use super::init;
use crate::config::NormKind;
use crate::cpu::layers::{Activation::*, linear};
use crate::rng::Rng;
use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct Head {
    pub l1: Linear,
    pub bn1: BatchNorm1d,
    pub l2: Linear,
}

impl Head {
    pub fn new(rng: &mut Rng, d_in: usize, hidden: usize, d_out: usize, device: &Device) -> Self {
        Self {
            l1: init::linear(rng, d_in, hidden, true, device),
            bn1: BatchNorm1d::new(hidden, device),
            l2: init::linear(rng, hidden, d_out, true, device),
        }
    }

    /// `[batch, d_in] → [batch, d_out]`
    pub fn forward(&self, x: Tensor<2>, norm: NormKind) -> Tensor<2> {
        let h = match norm {
            NormKind::Batch => self.bn1.forward_relu(linear(&self.l1, x, Identity)),
            NormKind::Layer => relu(self.bn1.forward_layer(linear(&self.l1, x, Identity))),
            NormKind::None => linear(&self.l1, x, Relu),
        }; // [batch, hidden]
        linear(&self.l2, h, Identity) // [batch, d_out]
    }
}
