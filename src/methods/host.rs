//! Host kernels for the CPU (flex) path: the parts of a step where Burn's op-by-op autodiff
//! spends more time allocating and re-reading `[2n, 2n]` matrices than computing.
//!
//! [`nt_xent_rows`] (SimCLR) and [`info_nce_rows`] (MoCo's queue) compute the loss *and* its
//! exact gradient with respect to the normalised embeddings in two matrix products and one
//! fused pass per row (max, exp, sum, log, softmax), where the autodiff graph takes about
//! fifteen passes over the similarity matrix forward and backward. The trainer hands the
//! gradient back to Burn through a surrogate ([`super::host_loss`]), so everything upstream
//! of the embeddings is still Burn's autodiff.

use crate::cpu::dots::exp_poly;
use crate::cpu::gemm::{Into::Overwrite, Mat, MatMut, new_product, product};
use crate::cpu::rows::by_rows;
use crate::cpu::symmetric::add_transpose_scaled;
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether every value is finite. The max and exp of the kernels skip NaN, so a broken
/// embedding must be caught before it could yield a finite loss.
fn all_finite(parts: &[&[f32]]) -> bool {
    parts.iter().all(|p| p.iter().all(|v| v.is_finite()))
}

/// NT-Xent over `rows = 2n` ℓ2-normalised embeddings `u: [rows, d]` (row-major), the partner
/// of row `i` being row `(i + n) mod 2n`: the mean over all rows of
/// `log Σ_{j≠i} exp(uᵢ·uⱼ/τ) − uᵢ·u_partner/τ`.
///
/// Returns the loss and `∂loss/∂u` `[rows, d]`: with `P` the row softmax (diagonal excluded)
/// and `W = P − onehot(partner)`, `∂loss/∂u = (W + Wᵀ) u / (rows·τ)`.
pub fn nt_xent_rows(u: &[f32], d: usize, temperature: f64) -> (f64, Vec<f32>) {
    let rows = u.len().checked_div(d).unwrap_or(0);
    assert!(rows >= 2 && rows.is_multiple_of(2) && rows * d == u.len());
    if !all_finite(&[u]) {
        return (f64::NAN, vec![0.0; u.len()]);
    }
    let half = rows / 2;
    let partner = |i: usize| (i + half) % rows;
    // [rows, rows] similarities / τ
    let embeddings = Mat::new(u, rows, d);
    let inv_t = (1.0 / temperature) as f32;
    let mut s = new_product(embeddings, embeddings.t(), inv_t);
    // Each row's term of the loss, rows on both cores (summed below in row order).
    let terms: Vec<AtomicU64> = (0..rows).map(|_| AtomicU64::new(0)).collect();
    by_rows(&mut s, rows, |first, block| {
        for (r, row) in block.chunks_exact_mut(rows).enumerate() {
            let i = first + r;
            let positive = row[partner(i)];
            // The anchor is not its own negative: −∞ on the diagonal, exp(−∞) = 0 below.
            row[i] = f32::NEG_INFINITY;
            let term = softmax_in_place(row) - positive as f64;
            terms[i].store(term.to_bits(), Ordering::Relaxed);
        }
    });
    let loss: f64 = terms
        .iter()
        .map(|t| f64::from_bits(t.load(Ordering::Relaxed)))
        .sum();
    // W + Wᵀ, scaled, in place (mirrored tiles on both cores: no transposed copy), less the
    // partner's one-hot of W and of Wᵀ.
    let scale = (1.0 / (rows as f64 * temperature)) as f32;
    add_transpose_scaled(&mut s, rows, scale);
    for i in 0..rows {
        s[i * rows + partner(i)] -= 2.0 * scale;
    }
    let grad = new_product(Mat::new(&s, rows, rows), embeddings, 1.0); // [rows, d]
    (loss / rows as f64, grad)
}

/// MoCo's InfoNCE: `n` queries `q` against their positive keys `k` (`[n, d]`) and a queue of
/// `K` negatives (`[K, d]`), all ℓ2-normalised: the mean over queries of
/// `log(exp(qᵢ·kᵢ/τ) + Σ_j exp(qᵢ·queue_j/τ)) − qᵢ·kᵢ/τ`.
///
/// Returns the loss and `∂loss/∂q` `[n, d]` (keys and queue get no gradient in MoCo): with `P`
/// the row softmax over `[positive, negatives]`,
/// `∂loss/∂qᵢ = ((Pᵢ₀ − 1)·kᵢ + Σ_j Pᵢⱼ·queue_j) / (n·τ)`.
pub fn info_nce_rows(
    q: &[f32],
    k: &[f32],
    queue: &[f32],
    d: usize,
    temperature: f64,
) -> (f64, Vec<f32>) {
    let n = q.len().checked_div(d).unwrap_or(0);
    let negatives = queue.len().checked_div(d).unwrap_or(0);
    assert!(n * d == q.len() && k.len() == q.len() && negatives * d == queue.len());
    if !all_finite(&[q, k, queue]) {
        return (f64::NAN, vec![0.0; q.len()]);
    }
    let inv_t = (1.0 / temperature) as f32;
    // [n, 1 + K] logits / τ: the positive in column 0, the negatives after it.
    let width = 1 + negatives;
    let mut logits = vec![0.0f32; n * width];
    // Column 0 of each row is the positive; the negatives' logits fill columns 1..width.
    let after_positive = 1.min(n * width);
    let (queries, queue) = (Mat::new(q, n, d), Mat::new(queue, negatives, d));
    product(
        MatMut::strided(&mut logits[after_positive..], n, negatives, width),
        queries,
        queue.t(),
        inv_t,
        Overwrite,
    );
    let mut loss = 0.0f64;
    let mut positive_weight = vec![0.0f32; n];
    for (i, row) in logits.chunks_exact_mut(width).enumerate() {
        let (qi, ki) = (&q[i * d..(i + 1) * d], &k[i * d..(i + 1) * d]);
        let positive = qi.iter().zip(ki).map(|(a, b)| a * b).sum::<f32>() * inv_t;
        row[0] = positive;
        loss += softmax_in_place(row) - positive as f64;
        positive_weight[i] = row[0] - 1.0;
    }
    let scale = (1.0 / (n as f64 * temperature)) as f32;
    // [n, d]
    let mut grad = new_product(
        Mat::strided(&logits[after_positive..], n, negatives, width),
        queue,
        scale,
    );
    for ((g, ki), w) in grad
        .chunks_exact_mut(d)
        .zip(k.chunks_exact(d))
        .zip(&positive_weight)
    {
        g.iter_mut().zip(ki).for_each(|(g, k)| *g += w * scale * k);
    }
    (loss / n.max(1) as f64, grad)
}

/// A row's softmax in place (entries of −∞ get 0); returns `log Σ exp(xᵢ)`.
/// Vectorised with AVX2+FMA when the CPU has them.
fn softmax_in_place(x: &mut [f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has just been checked for both features.
        return unsafe { softmax_avx2(x) };
    }
    softmax_lanes(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn softmax_avx2(x: &mut [f32]) -> f64 {
    softmax_lanes(x)
}

/// Independent accumulators per chunk, so that the loops vectorise.
const LANES: usize = 16;

#[inline(always)]
fn softmax_lanes(x: &mut [f32]) -> f64 {
    let mut lane_max = [f32::NEG_INFINITY; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (m, &v) in lane_max.iter_mut().zip(chunk) {
            *m = if v > *m { v } else { *m };
        }
    }
    let max = chunks
        .remainder()
        .iter()
        .chain(&lane_max)
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    let mut lane_sum = [0.0f32; LANES];
    let mut chunks = x.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        for (v, a) in chunk.iter_mut().zip(lane_sum.iter_mut()) {
            *v = exp_poly(*v - max);
            *a += *v;
        }
    }
    let mut sum: f64 = lane_sum.iter().map(|&a| a as f64).sum();
    for v in chunks.into_remainder() {
        *v = exp_poly(*v - max);
        sum += *v as f64;
    }
    let inv = (1.0 / sum) as f32;
    x.iter_mut().for_each(|p| *p *= inv);
    max as f64 + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_in_place_matches_f64() {
        // 37 entries: two full lanes of 16 and a remainder; one −∞ (a masked diagonal).
        let mut x: Vec<f32> = (0..37).map(|i| (i as f32 * 0.73).sin() * 20.0).collect();
        x[5] = f32::NEG_INFINITY;
        let reference: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let max = reference.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = reference.iter().map(|v| (v - max).exp()).sum();
        let lse = softmax_in_place(&mut x);
        assert!((lse - (max + sum.ln())).abs() < 1e-5);
        for (p, r) in x.iter().zip(&reference) {
            assert!((*p as f64 - (r - max).exp() / sum).abs() < 1e-6);
        }
        assert_eq!(x[5], 0.0);
    }
}
