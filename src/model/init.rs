//! Parameter initialisation from the run's own seeded [`Rng`] (PyTorch's default:
//! U(−1/√fan_in, 1/√fan_in) for weights and biases), so a seed fixes the initial weights
//! whatever else uses Burn's global RNG at the same time.

use crate::rng::Rng;
use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

/// `n` draws from U(−bound, bound).
pub fn uniform(rng: &mut Rng, n: usize, bound: f32) -> Vec<f32> {
    (0..n).map(|_| rng.range(-bound, bound)).collect()
}

pub fn param<const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &Device,
) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

/// `[d_in] → [d_out]` linear layer.
pub fn linear(rng: &mut Rng, d_in: usize, d_out: usize, bias: bool, device: &Device) -> Linear {
    let bound = 1.0 / (d_in as f32).sqrt();
    Linear {
        weight: param(uniform(rng, d_in * d_out, bound), [d_in, d_out], device),
        bias: bias.then(|| param(uniform(rng, d_out, bound), [d_out], device)),
    }
}
