//! Encoders `f`: an MLP for vectors (and tiny images), a small CNN for RGB images.
//! Their output is the *representation* h on which kNN accuracy is measured.

use super::bn::BatchNorm1d;
use super::conv::{Conv3x3S2, Layout};
use super::init;
use crate::cpu::layers::{Activation::Relu, linear};
use crate::data::InputKind;
use crate::rng::Rng;
use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

/// The CNN's channels after its first and second convolution.
pub const CNN_CHANNELS: [usize; 2] = [32, 64];

#[derive(Module, Debug)]
pub struct MlpEncoder {
    pub l1: Linear,
    pub l2: Linear,
}

/// `conv(3×3, s2) → BN → ReLU → conv(3×3, s2) → BN → ReLU → flatten → MLP`, BN as in the
/// papers' ResNets (per-channel statistics over batch and space). No global pooling: at 16×16
/// the layout of the 4×4 feature map is what tells a square from a star (pooling it away left
/// the encoder unable to learn shapes). Activations are channels-last (see [`Conv3x3S2`]).
#[derive(Module, Debug)]
pub struct CnnEncoder {
    pub conv1: Conv3x3S2,
    pub bn1: BatchNorm1d,
    pub conv2: Conv3x3S2,
    pub bn2: BatchNorm1d,
    pub fc1: Linear,
    pub fc2: Linear,
}

// One encoder per network: the variants' size difference costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Encoder {
    Mlp(MlpEncoder),
    Cnn(CnnEncoder),
}

impl Encoder {
    /// Images of at least 12×12 get the CNN; vectors and 8×8 digits the MLP.
    pub fn new(
        rng: &mut Rng,
        input: InputKind,
        hidden: usize,
        feature: usize,
        device: &Device,
    ) -> Self {
        match input {
            InputKind::Image {
                channels,
                height,
                width,
            } if Self::is_cnn(input) => {
                let [c1, c2] = CNN_CHANNELS;
                let conv1 =
                    Conv3x3S2::new(rng, (channels, height, width), c1, Layout::Planar, device);
                let (h1, w1) = conv1.output_size();
                let conv2 = Conv3x3S2::new(rng, (c1, h1, w1), c2, Layout::ChannelsLast, device);
                let (h2, w2) = conv2.output_size();
                Encoder::Cnn(CnnEncoder {
                    conv1,
                    bn1: BatchNorm1d::new(c1, device),
                    conv2,
                    bn2: BatchNorm1d::new(c2, device),
                    fc1: init::linear(rng, h2 * w2 * c2, hidden, true, device),
                    fc2: init::linear(rng, hidden, feature, true, device),
                })
            }
            other => Self::mlp(rng, other.len(), hidden, feature, device),
        }
    }

    /// Whether `input` gets the CNN (images of at least 12×12).
    pub fn is_cnn(input: InputKind) -> bool {
        matches!(input, InputKind::Image { height, width, .. } if height >= 12 && width >= 12)
    }

    pub fn mlp(rng: &mut Rng, d_in: usize, hidden: usize, feature: usize, device: &Device) -> Self {
        Encoder::Mlp(MlpEncoder {
            l1: init::linear(rng, d_in, hidden, true, device),
            l2: init::linear(rng, hidden, feature, true, device),
        })
    }

    /// `[batch, input_len] → [batch, feature]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Encoder::Mlp(m) => linear(&m.l2, linear(&m.l1, x, Relu), Relu),
            Encoder::Cnn(m) => {
                let [batch, _] = x.dims();
                let h = m.bn1.forward_relu(m.conv1.forward(x)); // [b·h/2·w/2, 32]
                let [rows, c1] = h.dims();
                let h = h.reshape([batch, rows / batch.max(1) * c1]); // [b, h/2·w/2·32]
                let h = m.bn2.forward_relu(m.conv2.forward(h)); // [b·h/4·w/4, 64]
                let [rows, c2] = h.dims();
                let flat = h.reshape([batch, rows / batch.max(1) * c2]); // [b, h/4·w/4·64]
                linear(&m.fc2, linear(&m.fc1, flat, Relu), Relu)
            }
        }
    }
}
