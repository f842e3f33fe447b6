//! Encoders `f`: an MLP for vectors (and tiny images), a small CNN for RGB images.
//! Their output is the *representation* h on which kNN accuracy is measured.

use super::bn::BatchNorm2d;
use super::init;
use crate::data::InputKind;
use crate::rng::Rng;
use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct MlpEncoder {
    pub l1: Linear,
    pub l2: Linear,
}

/// `conv(3×3, s2) → BN → ReLU → conv(3×3, s2) → BN → ReLU → flatten → MLP`, BN as in the
/// papers' ResNets. No global pooling: at 16×16 the layout of the 4×4 feature map is what
/// tells a square from a star (pooling it away left the encoder unable to learn shapes).
#[derive(Module, Debug)]
pub struct CnnEncoder {
    pub conv1: Conv2d,
    pub bn1: BatchNorm2d,
    pub conv2: Conv2d,
    pub bn2: BatchNorm2d,
    pub fc1: Linear,
    pub fc2: Linear,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
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
            } if height >= 12 && width >= 12 => {
                let (c1, c2) = (32, 64);
                let flat = c2 * height.div_ceil(4) * width.div_ceil(4);
                Encoder::Cnn(CnnEncoder {
                    conv1: init::conv3x3_s2(rng, channels, c1, device),
                    bn1: BatchNorm2d::new(c1, device),
                    conv2: init::conv3x3_s2(rng, c1, c2, device),
                    bn2: BatchNorm2d::new(c2, device),
                    fc1: init::linear(rng, flat, hidden, true, device),
                    fc2: init::linear(rng, hidden, feature, true, device),
                    channels,
                    height,
                    width,
                })
            }
            other => Self::mlp(rng, other.len(), hidden, feature, device),
        }
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
            Encoder::Mlp(m) => relu(m.l2.forward(relu(m.l1.forward(x)))),
            Encoder::Cnn(m) => {
                let [batch, _] = x.dims();
                let img = x.reshape([batch, m.channels, m.height, m.width]); // [b, c, h, w]
                let h = relu(m.bn1.forward(m.conv1.forward(img))); // [b, 32, h/2, w/2]
                let h = relu(m.bn2.forward(m.conv2.forward(h))); // [b, 64, h/4, w/4]
                let flat: Tensor<2> = h.flatten(1, 3); // [b, 64·h/4·w/4]
                relu(m.fc2.forward(relu(m.fc1.forward(flat))))
            }
        }
    }
}
