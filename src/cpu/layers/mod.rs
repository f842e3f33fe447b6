//! The network's layers as single host operations on the CPU path, each with its exact
//! backward pass registered in Burn's autodiff graph (a custom [`Backward`] step, as Burn's own
//! ops are written), so everything around them is still Burn: parameters, optimizer, the
//! methods' losses.
//!
//! - [`linear`]: `x·W + b` (and ReLU) as one product into a buffer that already holds the bias,
//!   on both cores ([`super::gemm`]); its backward pass is two more products and a column sum.
//!   Burn's op-by-op path runs the product on one core, then a broadcast add, then ReLU, each a
//!   pass over the activations forward and again backward.
//! - [`batch_norm_relu`]: batch norm with the current batch's statistics and ReLU, forward in
//!   two passes and backward in two, where Burn's graph of mean, centre, square, mean, sqrt,
//!   reciprocal, scale, shift and ReLU takes about ten forward and twenty backward.
//!
//! Off the CPU (a GPU), or for tensors these ops cannot read, each function runs Burn's own
//! formula: the same layer, the same numbers up to float rounding (`tests.rs`).

use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Int, Tensor, TensorData};

mod host;
mod ops;

use host::Inputs;
#[cfg(test)]
use ops::Run;
use ops::{AffineOp, BatchNormReluOp, GatherOp, runs_of};

/// What follows a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Identity,
    Relu,
}

/// `layer(x)`, then the activation: `[rows, in] → [rows, out]`.
pub fn linear(layer: &Linear, x: Tensor<2>, activation: Activation) -> Tensor<2> {
    match &layer.bias {
        Some(bias) => affine(x, layer.weight.val(), bias.val(), activation),
        None => activate(layer.forward(x), activation),
    }
}

/// `x·W + b`, then the activation: `x: [rows, in]`, `W: [in, out]`, `b: [out]` → `[rows, out]`.
pub fn affine(
    x: Tensor<2>,
    weight: Tensor<2>,
    bias: Tensor<1>,
    activation: Activation,
) -> Tensor<2> {
    let on_host = Inputs::of([x.clone().into(), weight.clone().into(), bias.clone().into()]);
    match on_host {
        Some(inputs) => inputs.run(AffineOp { activation }).into_tensor(),
        None => activate(x.matmul(weight) + bias.unsqueeze_dim(0), activation),
    }
}

/// `relu(bn(x))` with the current batch's statistics, `γ, β: [features]`:
/// `[rows, features] → [rows, features]`.
pub fn batch_norm_relu(x: Tensor<2>, gamma: Tensor<1>, beta: Tensor<1>, epsilon: f64) -> Tensor<2> {
    match Inputs::of([x.clone().into(), gamma.clone().into(), beta.clone().into()]) {
        Some(inputs) => inputs
            .run(BatchNormReluOp {
                epsilon: epsilon as f32,
            })
            .into_tensor(),
        None => relu(batch_norm(x, gamma, beta, epsilon)),
    }
}

/// Batch norm with the batch's own (biased) statistics: `x: [batch, features]`, `γ, β:
/// [features]` → `[batch, features]`.
pub fn batch_norm(x: Tensor<2>, gamma: Tensor<1>, beta: Tensor<1>, epsilon: f64) -> Tensor<2> {
    let mean = x.clone().mean_dim(0); // [1, features]
    let centred = x - mean;
    let var = centred.clone().square().mean_dim(0); // [1, features], biased as in training
    // γ/√(var + ε) on the small [1, features] row, then one multiply of the big tensor:
    // two passes over [batch, features] fewer than dividing and scaling separately,
    // forward and backward.
    let scale = var.add_scalar(epsilon).sqrt().recip() * gamma.unsqueeze_dim(0);
    centred * scale + beta.unsqueeze_dim(0)
}

/// `out[r, j] = x[r, index[j]]`, or 0 where `index[j]` is the row's length (one past its end):
/// `[rows, len] → [rows, index.len()]`. The convolutions' patches (im2col); backward, each
/// output's gradient is added back to the column it was read from.
pub fn gather_columns(x: Tensor<2>, index: &[u32]) -> Tensor<2> {
    match Inputs::of([x.clone().into()]) {
        Some(inputs) => {
            let [_, len] = x.dims();
            let runs = runs_of(index, len).into();
            inputs
                .run(GatherOp {
                    runs,
                    taps: index.len(),
                })
                .into_tensor()
        }
        None => {
            let [rows, _] = x.dims();
            let device = x.device();
            let taps: Vec<i64> = index.iter().map(|&i| i64::from(i)).collect();
            let taps = Tensor::<1, Int>::from_data(TensorData::new(taps, [index.len()]), &device);
            let padded = Tensor::cat(vec![x, Tensor::zeros([rows, 1], &device)], 1); // [rows, len + 1]
            padded.select(1, taps)
        }
    }
}

fn activate(x: Tensor<2>, activation: Activation) -> Tensor<2> {
    match activation {
        Activation::Identity => x,
        Activation::Relu => relu(x),
    }
}

#[cfg(test)]
mod tests;
