//! Projector and predictor heads: `Linear → [BN] → ReLU → Linear → [BN]`.
//!
//! The batch norms are skipped (not removed) when switched off, so toggling BN mid-run keeps
//! every weight and switching it back resumes where it was.

use super::bn::BatchNorm1d;
use super::init;
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
    /// BN on the output (SimSiam's projector ends with BN).
    pub bn_out: Option<BatchNorm1d>,
}

impl Head {
    pub fn new(
        rng: &mut Rng,
        d_in: usize,
        hidden: usize,
        d_out: usize,
        out_bn: bool,
        device: &Device,
    ) -> Self {
        Self {
            l1: init::linear(rng, d_in, hidden, true, device),
            bn1: BatchNorm1d::new(hidden, device),
            l2: init::linear(rng, hidden, d_out, true, device),
            bn_out: out_bn.then(|| BatchNorm1d::new(d_out, device)),
        }
    }

    /// `[batch, d_in] → [batch, d_out]`
    pub fn forward(&self, x: Tensor<2>, bn: bool) -> Tensor<2> {
        let h = self.l1.forward(x); // [batch, hidden]
        let h = if bn { self.bn1.forward(h) } else { h };
        let out = self.l2.forward(relu(h)); // [batch, d_out]
        match (&self.bn_out, bn) {
            (Some(norm), true) => norm.forward(out),
            _ => out,
        }
    }
}
