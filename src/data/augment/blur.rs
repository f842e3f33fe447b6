//! Gaussian blur and pixel noise.

use super::Image;
use crate::rng::Rng;

/// Separable Gaussian blur with standard deviation `sigma` pixels (kernel radius ⌈2σ⌉).
pub fn gaussian_blur(img: &Image, sigma: f32) -> Image {
    if sigma < 0.05 || img.data.is_empty() {
        return img.clone();
    }
    let r = (2.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let norm: f32 = kernel.iter().sum();
    let (h, w) = (img.height, img.width);
    let reach = r as usize;
    // Each output is Σₖ weightₖ·(the edge-clamped input k − r away), summed in k's order and
    // then divided by the kernel's sum; each pass works on a copy of its lines with `reach`
    // clamped values on both sides, so the sums run over slices.
    let mut out = Image::new(img.channels, h, w);
    let mut across = vec![0.0f32; h * w]; // one channel after the horizontal pass
    let mut line = Vec::with_capacity(w.max(h) + 2 * reach);
    let mut acc = vec![0.0f32; w];
    for (src, dst) in img
        .data
        .chunks_exact((h * w).max(1))
        .zip(out.data.chunks_exact_mut((h * w).max(1)))
    {
        for (row, out_row) in src.chunks_exact(w).zip(across.chunks_exact_mut(w)) {
            padded(&mut line, row, reach);
            acc.iter_mut().for_each(|a| *a = 0.0);
            for (k, weight) in kernel.iter().enumerate() {
                for (a, v) in acc.iter_mut().zip(&line[k..k + w]) {
                    *a += weight * v;
                }
            }
            out_row
                .iter_mut()
                .zip(&acc)
                .for_each(|(o, a)| *o = a / norm);
        }
        for (y, out_row) in dst.chunks_exact_mut(w).enumerate() {
            acc.iter_mut().for_each(|a| *a = 0.0);
            for (k, weight) in kernel.iter().enumerate() {
                let yy = (y + k).saturating_sub(reach).min(h - 1);
                for (a, v) in acc.iter_mut().zip(&across[yy * w..(yy + 1) * w]) {
                    *a += weight * v;
                }
            }
            out_row
                .iter_mut()
                .zip(&acc)
                .for_each(|(o, a)| *o = a / norm);
        }
    }
    out
}

/// `row` with its first and last value repeated `reach` times before and after it.
fn padded(line: &mut Vec<f32>, row: &[f32], reach: usize) {
    line.clear();
    let (first, last) = (row[0], row[row.len() - 1]);
    line.extend(std::iter::repeat_n(first, reach));
    line.extend_from_slice(row);
    line.extend(std::iter::repeat_n(last, reach));
}

pub fn add_noise(img: &mut Image, rng: &mut Rng, sigma: f32) {
    if sigma <= 0.0 {
        return;
    }
    let mut noise = vec![0.0f32; img.data.len()];
    rng.normals(&mut noise);
    for (v, n) in img.data.iter_mut().zip(&noise) {
        *v = (*v + sigma * n).clamp(0.0, 1.0);
    }
}
