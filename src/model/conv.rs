//! The CNN's 3×3 convolutions (stride 2, padding 1) as one gather and one matrix product
//! (im2col), on *channels-last* activations `[batch·height·width, channels]`.
//!
//! Why not `burn::nn::conv::Conv2d`: on the CPU backend its direct convolution and the
//! transposed convolution of its backward pass cost more than the rest of the step together
//! (SimCLR on shapes: 18 steps/s). As a gather of each output pixel's 3×3×c patch into a row
//! and a product with the `[c·9, c_out]` weight, the same layer is two host ops on the CPU
//! ([`gather_columns`], [`affine`]: forward and backward on the GEMM kernels, in Burn's
//! autodiff graph) and Burn's own `select` and `matmul` elsewhere. Channels-last
//! outputs also make the batch norm that follows a plain per-column norm over rows.

use super::init;
use crate::cpu::layers::{Activation::Identity, affine, gather_columns};
use crate::rng::Rng;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

/// Side of the output of a 3×3, stride-2, padding-1 convolution.
pub fn halved(side: usize) -> usize {
    side.div_ceil(2)
}

/// How an input row lays out its pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `c·h·w + y·w + x`: the datasets' planar images.
    Planar,
    /// `(y·w + x)·c + channel`: a previous layer's output.
    ChannelsLast,
}

impl Layout {
    /// Where tap `(c, ky, kx)` sits in a patch row of `c_in·9` (and so which weight row it
    /// meets): in the input's own order, so that the patch reads runs of consecutive input
    /// columns: `c·9 + ky·3 + kx` for planar input (a tap row's three pixels), `(ky·3 + kx)·c_in
    /// + c` for channels-last input (each tap's `c_in` channels).
    pub fn tap(self, c_in: usize, c: usize, ky: usize, kx: usize) -> usize {
        match self {
            Layout::Planar => c * 9 + ky * 3 + kx,
            Layout::ChannelsLast => (ky * 3 + kx) * c_in + c,
        }
    }
}

#[derive(Module, Debug)]
pub struct Conv3x3S2 {
    /// `[c_in·9, c_out]`, tap `(c, ky, kx)` in row [`Layout::tap`].
    pub weight: Param<Tensor<2>>,
    /// `[c_out]`
    pub bias: Param<Tensor<1>>,
    pub c_in: usize,
    pub height: usize,
    pub width: usize,
    /// The input's [`Layout`]: channels-last, else planar.
    pub channels_last: bool,
}

impl Conv3x3S2 {
    /// PyTorch's default initialisation, U(−1/√(9·c_in), 1/√(9·c_in)), drawn in Conv2d's
    /// `[c_out, c_in, 3, 3]` order.
    pub fn new(
        rng: &mut Rng,
        (c_in, height, width): (usize, usize, usize),
        c_out: usize,
        layout: Layout,
        device: &Device,
    ) -> Self {
        let fan_in = c_in * 9;
        let bound = 1.0 / (fan_in as f32).sqrt();
        let drawn = init::uniform(rng, c_out * fan_in, bound); // [c_out, c_in, 3, 3]
        let mut weight = vec![0.0; drawn.len()]; // [c_in·9, c_out]
        for (o, row) in drawn.chunks_exact(fan_in).enumerate() {
            for (k, &v) in row.iter().enumerate() {
                let (c, ky, kx) = (k / 9, k % 9 / 3, k % 3);
                weight[layout.tap(c_in, c, ky, kx) * c_out + o] = v;
            }
        }
        let bias = init::uniform(rng, c_out, bound);
        Self {
            weight: init::param(weight, [fan_in, c_out], device),
            bias: init::param(bias, [c_out], device),
            c_in,
            height,
            width,
            channels_last: layout == Layout::ChannelsLast,
        }
    }

    /// Output `(height, width)`.
    pub fn output_size(&self) -> (usize, usize) {
        (halved(self.height), halved(self.width))
    }

    pub fn layout(&self) -> Layout {
        if self.channels_last {
            Layout::ChannelsLast
        } else {
            Layout::Planar
        }
    }

    /// The weight as Conv2d's kernel: `[c_out, c_in, 3, 3]`.
    pub fn kernel(&self) -> Tensor<4> {
        let [fan_in, c_out] = self.weight.val().dims();
        let (c_in, layout) = (self.c_in, self.layout());
        let rows: Vec<i64> = (0..fan_in)
            .map(|k| layout.tap(c_in, k / 9, k % 9 / 3, k % 3) as i64)
            .collect();
        let device = self.weight.val().device();
        let rows = Tensor::<1, burn::tensor::Int>::from_data(
            burn::tensor::TensorData::new(rows, [fan_in]),
            &device,
        );
        self.weight
            .val()
            .select(0, rows) // [c_in·9, c_out], Conv2d's order
            .transpose()
            .reshape([c_out, c_in, 3, 3])
    }

    /// `[batch, c_in·h·w] → [batch·h/2·w/2, c_out]` (channels-last, pixels row-major).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let [batch, len] = x.dims();
        debug_assert_eq!(len, self.c_in * self.height * self.width);
        let index = im2col_index(self.c_in, self.height, self.width, self.layout());
        let taps = index.len();
        let patches = gather_columns(x, &index) // [b, oh·ow·c_in·9]
            .reshape([batch * taps / (self.c_in * 9), self.c_in * 9]); // [b·oh·ow, c_in·9]
        affine(patches, self.weight.val(), self.bias.val(), Identity)
    }
}

/// For each output pixel (row-major) and each tap `(c, ky, kx)` (at [`Layout::tap`]), the input
/// column it reads, or `c·h·w` (one past the row: the appended zero) where the tap falls in
/// the padding.
pub fn im2col_index(c_in: usize, height: usize, width: usize, layout: Layout) -> Vec<u32> {
    let (oh, ow) = (halved(height), halved(width));
    let zero = (c_in * height * width) as u32;
    let fan_in = c_in * 9;
    let mut index = vec![zero; oh * ow * fan_in];
    for (pixel, patch) in index.chunks_exact_mut(fan_in.max(1)).enumerate() {
        let (oy, ox) = (pixel / ow, pixel % ow);
        for (c, ky, kx) in (0..c_in).flat_map(|c| (0..9).map(move |k| (c, k / 3, k % 3))) {
            let (iy, ix) = ((2 * oy + ky) as isize - 1, (2 * ox + kx) as isize - 1);
            if (0..height as isize).contains(&iy) && (0..width as isize).contains(&ix) {
                let (iy, ix) = (iy as usize, ix as usize);
                patch[layout.tap(c_in, c, ky, kx)] = (match layout {
                    Layout::Planar => c * height * width + iy * width + ix,
                    Layout::ChannelsLast => (iy * width + ix) * c_in + c,
                }) as u32;
            }
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::module::conv2d;
    use burn::tensor::ops::ConvOptions;
    use burn::tensor::{Gradients, TensorData};

    fn grad<const D: usize>(t: &Tensor<D>, g: &Gradients) -> Vec<f32> {
        t.grad(g)
            .map(|t| t.into_data().try_to_vec::<f32>().unwrap_or_default())
            .unwrap_or_default()
    }

    fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.range(-1.0, 1.0)).collect()
    }

    /// The gather + product equals Burn's direct convolution, forward and for the gradients of
    /// the weight, the bias and the input, on both input layouts and odd sizes.
    #[test]
    fn equals_burns_conv2d_forward_and_backward() {
        let device = Device::flex().autodiff();
        let mut rng = Rng::new(7);
        for (b, c_in, h, w, c_out, layout) in [
            (3, 3, 16, 16, 5, Layout::Planar),
            (2, 4, 7, 9, 3, Layout::ChannelsLast),
        ] {
            let conv = Conv3x3S2::new(&mut rng, (c_in, h, w), c_out, layout, &device);
            let (oh, ow) = conv.output_size();
            let planar = random(&mut rng, b * c_in * h * w); // [b, c, h, w]
            let x_nchw =
                Tensor::<4>::from_data(TensorData::new(planar.clone(), [b, c_in, h, w]), &device)
                    .require_grad();
            // The same values in the layout the layer reads.
            let x_rows: Tensor<2> = match layout {
                Layout::Planar => x_nchw.clone().reshape([b, c_in * h * w]),
                Layout::ChannelsLast => x_nchw
                    .clone()
                    .permute([0, 2, 3, 1])
                    .reshape([b, h * w * c_in]),
            };
            let ours = conv.forward(x_rows); // [b·oh·ow, c_out]
            let kernel = conv.kernel();
            let reference = conv2d(
                x_nchw.clone(),
                kernel,
                Some(conv.bias.val()),
                ConvOptions::new([2, 2], [1, 1], [1, 1], 1),
            ); // [b, c_out, oh, ow]
            let reference_rows = reference
                .clone()
                .permute([0, 2, 3, 1])
                .reshape([b * oh * ow, c_out]);
            let upstream = Tensor::<2>::from_data(
                TensorData::new(random(&mut rng, b * oh * ow * c_out), [b * oh * ow, c_out]),
                &device,
            );
            let close = |a: Vec<f32>, r: Vec<f32>, what: &str| {
                assert_eq!(a.len(), r.len(), "{what}");
                for (i, (x, y)) in a.iter().zip(&r).enumerate() {
                    assert!(
                        (x - y).abs() < 1e-4 * (1.0 + y.abs()),
                        "{what}[{i}]: {x} vs {y}"
                    );
                }
            };
            let vec = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap_or_default();
            close(vec(ours.clone()), vec(reference_rows.clone()), "output");
            let g_ours = (ours * upstream.clone()).sum().backward();
            let g_ref = (reference_rows * upstream).sum().backward();
            close(
                grad(&conv.weight.val(), &g_ours),
                grad(&conv.weight.val(), &g_ref),
                "weight gradient",
            );
            close(
                grad(&conv.bias.val(), &g_ours),
                grad(&conv.bias.val(), &g_ref),
                "bias gradient",
            );
            close(
                grad(&x_nchw, &g_ours),
                grad(&x_nchw, &g_ref),
                "input gradient",
            );
        }
    }
}
